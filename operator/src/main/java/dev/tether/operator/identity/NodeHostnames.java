package dev.tether.operator.identity;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeHostname;
import dev.tether.api.v1alpha1.NodeProfile;
import java.util.Optional;

/** The host name and fully qualified name a node gets from its credential and its profile's {@code spec.hostname}. */
final class NodeHostnames {
    /** The kernel keeps at most 64 characters of a host name (HOST_NAME_MAX). */
    static final int MAX_HOSTNAME = 64;

    private NodeHostnames() {
    }

    /**
     * @param hostname what {@code /etc/hostname} gets; empty to keep the image's
     * @param problem  why the profile's choice could not be followed (the node then gets its nodeName), if it could not
     */
    record Names(String nodeName, Optional<String> hostname, Optional<String> fqdn, Optional<String> domain,
            Optional<String> problem) {
        String hostnameOrNodeName() {
            return hostname.orElse(nodeName);
        }
    }

    static Names of(NodeCredential credential, NodeProfile profile) {
        String nodeName = credential.getSpec().nodeName;
        NodeHostname policy = profile.getSpec().hostname == null ? new NodeHostname() : profile.getSpec().hostname;
        Optional<String> domain = Optional.ofNullable(policy.domain);
        Optional<String> fqdn = Optional.ofNullable(credential.getSpec().fqdn).or(() -> domain.map(d -> nodeName + "." + d));
        NodeHostname.Source from = policy.from == null ? NodeHostname.Source.NODE_NAME : policy.from;
        return switch (from) {
            case IMAGE -> new Names(nodeName, Optional.empty(), fqdn, domain, Optional.empty());
            case NODE_NAME -> new Names(nodeName, Optional.of(nodeName), fqdn, domain, Optional.empty());
            case FQDN -> {
                if (fqdn.isEmpty()) {
                    yield new Names(nodeName, Optional.of(nodeName), fqdn, domain, Optional.of("hostname.from is fqdn but node "
                            + nodeName + " has no fqdn and the profile no hostname.domain; it is named " + nodeName));
                }
                if (fqdn.get().length() > MAX_HOSTNAME) {
                    yield new Names(nodeName, Optional.of(nodeName), fqdn, domain, Optional.of("the fqdn of node " + nodeName
                            + " is longer than the " + MAX_HOSTNAME + " characters a host name may have; it is named " + nodeName));
                }
                yield new Names(nodeName, fqdn, fqdn, domain, Optional.empty());
            }
        };
    }
}
