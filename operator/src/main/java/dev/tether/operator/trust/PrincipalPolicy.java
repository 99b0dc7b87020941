package dev.tether.operator.trust;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Which names and addresses the SSH CA certifies for the nodes of a namespace. Clients trust the CA for every host
 * that the published {@code @cert-authority} line names, so whoever can write a NodeCredential or NodeProfile must
 * not get a certificate for a name outside what the administrator set aside for Tether, nor for another
 * namespace's node:
 * <ul>
 *   <li>every namespace {@code N} owns the names under {@code N.<domain>}; a node's name becomes the principal
 *       {@code <nodeName>.N.<domain>}, so the same node name in two namespaces never gives the same principal, and
 *       no bare short name is ever certified;</li>
 *   <li>a namespace may also be granted whole DNS domains and IPv4 ranges of its own ({@code namespaces}); no two
 *       namespaces may share or nest them, and a granted domain may not lie under {@code domain}. A node also gets
 *       {@code <nodeName>.<granted domain>};</li>
 *   <li>everything else a credential or profile names ({@code fqdn}, {@code addresses}, {@code extraPrincipals}) is
 *       left out of the certificate and reported. IPv6 addresses are never certified: known_hosts patterns cannot
 *       name an IPv6 range reliably.</li>
 * </ul>
 *
 * @param domain     the DNS suffix namespaces get their names under; empty for none
 * @param namespaces what single namespaces are granted beyond that
 */
public record PrincipalPolicy(String domain, Map<String, Grant> namespaces) {
    private static final Pattern DNS_NAME =
            Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** The DNS domains and IPv4 ranges that belong to one namespace alone. */
    public record Grant(List<String> domains, List<Ipv4Range> ranges) {
        public Grant {
            domains = domains.stream().map(d -> normalise(d, "sshPrincipals.namespaces.*.domains")).toList();
            if (domains.contains("")) {
                throw new IllegalArgumentException("sshPrincipals.namespaces.*.domains: an empty domain would grant every name");
            }
            ranges = List.copyOf(ranges);
        }
    }

    /** The principals to certify, and what was asked for but left out, each with why (for an event). */
    public record Decision(List<String> principals, List<String> refused) {}

    public PrincipalPolicy {
        domain = domain == null ? "" : normalise(domain, "sshPrincipals.domain");
        namespaces = Collections.unmodifiableSortedMap(new TreeMap<>(namespaces));
        check(domain, namespaces);
    }

    /**
     * The policy from the operator's environment: {@code TETHER_SSH_PRINCIPAL_DOMAIN} (default {@code tether.internal},
     * a name no public host can have) and {@code TETHER_SSH_PRINCIPAL_NAMESPACES}, JSON as in the chart's values:
     * {@code {"hpc":{"domains":["cluster.example.org"],"cidrs":["10.1.0.0/16"]}}}.
     */
    public static PrincipalPolicy fromEnvironment(Map<String, String> env) {
        String json = env.get("TETHER_SSH_PRINCIPAL_NAMESPACES");
        var grants = new TreeMap<String, Grant>();
        if (json != null && !json.isBlank()) {
            try {
                Map<String, GrantJson> parsed = JSON.readValue(json, JSON.getTypeFactory()
                        .constructMapType(TreeMap.class, String.class, GrantJson.class));
                parsed.forEach((namespace, g) -> grants.put(namespace, new Grant(
                        g.domains == null ? List.of() : g.domains,
                        g.cidrs == null ? List.of() : g.cidrs.stream().map(Ipv4Range::parse).toList())));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("TETHER_SSH_PRINCIPAL_NAMESPACES is not a JSON object of namespace →"
                        + " {\"domains\":[...],\"cidrs\":[...]}: " + e.getOriginalMessage());
            }
        }
        return new PrincipalPolicy(env.getOrDefault("TETHER_SSH_PRINCIPAL_DOMAIN", "tether.internal"), grants);
    }

    private static final class GrantJson {
        public List<String> domains;
        public List<String> cidrs;
    }

    /** What to certify for a node of {@code namespace}, from its name and what its credential and profile ask for. */
    public Decision decide(String namespace, String nodeName, String fqdn, List<String> addresses, List<String> extraPrincipals) {
        var principals = new LinkedHashSet<String>();
        var refused = new ArrayList<String>();
        Grant grant = namespaces.getOrDefault(namespace, new Grant(List.of(), List.of()));
        if (!domain.isEmpty()) {
            principals.add(nodeName.toLowerCase(Locale.ROOT) + "." + namespace + "." + domain);
        }
        grant.domains().forEach(d -> principals.add(nodeName.toLowerCase(Locale.ROOT) + "." + d));
        if (fqdn != null) {
            consider("fqdn", fqdn, namespace, grant, principals, refused);
        }
        addresses.forEach(a -> consider("address", a, namespace, grant, principals, refused));
        extraPrincipals.forEach(p -> consider("extra principal", p, namespace, grant, principals, refused));
        return new Decision(List.copyOf(principals), List.copyOf(refused));
    }

    /** What names and addresses namespace {@code namespace} may have certified, in words for a message. */
    public String describe(String namespace) {
        var parts = new ArrayList<String>();
        if (!domain.isEmpty()) {
            parts.add("names under " + namespace + "." + domain);
        }
        Grant grant = namespaces.get(namespace);
        if (grant != null) {
            grant.domains().forEach(d -> parts.add("names under " + d));
            grant.ranges().forEach(r -> parts.add("addresses in " + r));
        }
        return parts.isEmpty() ? "nothing" : String.join(", ", parts);
    }

    /** The host patterns of the published {@code @cert-authority} line: everything this policy may certify, and no more. */
    public List<String> knownHostsPatterns() {
        var patterns = new ArrayList<String>();
        if (!domain.isEmpty()) {
            patterns.add("*." + domain);
        }
        namespaces.values().forEach(g -> g.domains().forEach(d -> patterns.add("*." + d)));
        namespaces.values().forEach(g -> g.ranges().forEach(r -> patterns.addAll(r.knownHostsPatterns())));
        return patterns;
    }

    private void consider(String what, String value, String namespace, Grant grant, LinkedHashSet<String> principals,
                          List<String> refused) {
        String name = value.strip().toLowerCase(Locale.ROOT);
        Integer address = Ipv4Range.address(name);
        if (address != null) {
            if (grant.ranges().stream().anyMatch(r -> r.contains(address))) {
                principals.add(name);
            } else {
                refused.add(what + " " + name + " (not in an address range granted to namespace " + namespace + ")");
            }
        } else if (name.contains(":")) {
            refused.add(what + " " + name + " (IPv6 addresses are not certified)");
        } else if (!DNS_NAME.matcher(name).matches()) {
            refused.add(what + " " + printable(name) + " (not a DNS name)");
        } else if (owns(namespace, grant, name)) {
            principals.add(name);
        } else {
            refused.add(what + " " + name + " (namespace " + namespace + " may have only " + describe(namespace) + " certified)");
        }
    }

    private boolean owns(String namespace, Grant grant, String name) {
        return (!domain.isEmpty() && name.endsWith("." + namespace + "." + domain))
                || grant.domains().stream().anyMatch(d -> name.endsWith("." + d));
    }

    private static void check(String domain, Map<String, Grant> namespaces) {
        var owners = new ArrayList<Map.Entry<String, String>>();
        var ranges = new ArrayList<Map.Entry<String, Ipv4Range>>();
        namespaces.forEach((namespace, grant) -> {
            if (!DNS_NAME.matcher(namespace).matches() || namespace.contains(".")) {
                throw new IllegalArgumentException("sshPrincipals.namespaces: '" + namespace + "' is not a namespace name");
            }
            for (String granted : grant.domains()) {
                if (!domain.isEmpty() && nested(granted, domain)) {
                    throw new IllegalArgumentException("sshPrincipals.namespaces." + namespace + ".domains: " + granted
                            + " overlaps sshPrincipals.domain " + domain + ", whose names belong to the namespaces under it");
                }
                for (var other : owners) {
                    if (!other.getKey().equals(namespace) && nested(granted, other.getValue())) {
                        throw new IllegalArgumentException("sshPrincipals.namespaces: " + namespace + " and " + other.getKey()
                                + " are both granted names under " + granted + " / " + other.getValue()
                                + "; a name may belong to one namespace only");
                    }
                }
                owners.add(Map.entry(namespace, granted));
            }
            for (Ipv4Range range : grant.ranges()) {
                for (var other : ranges) {
                    if (!other.getKey().equals(namespace) && range.overlaps(other.getValue())) {
                        throw new IllegalArgumentException("sshPrincipals.namespaces: " + namespace + " and " + other.getKey()
                                + " are granted overlapping ranges " + range + " and " + other.getValue()
                                + "; an address may belong to one namespace only");
                    }
                }
                ranges.add(Map.entry(namespace, range));
            }
        });
    }

    private static boolean nested(String a, String b) {
        return a.equals(b) || a.endsWith("." + b) || b.endsWith("." + a);
    }

    private static String normalise(String domain, String where) {
        String d = domain.strip().toLowerCase(Locale.ROOT);
        if (d.startsWith("*.")) {
            d = d.substring(2);
        }
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        if (!d.isEmpty() && !DNS_NAME.matcher(d).matches()) {
            throw new IllegalArgumentException(where + ": '" + domain + "' is not a DNS domain (e.g. nodes.example.org)");
        }
        return d;
    }

    private static String printable(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
