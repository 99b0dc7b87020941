package dev.tether.operator.identity;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeProfile;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a node file template may read: the node's own NodeCredential (name, hardware, addresses, labels, annotations),
 * its profile's name and edges, and the host name the node gets. Nothing else: no Secret, no other node, no other
 * namespace. docs/node-identity.md lists the same names; {@code NodeFileVariablesTest} keeps them in step.
 */
final class NodeFileVariables {
    private NodeFileVariables() {
    }

    static Map<String, Object> of(NodeCredential credential, NodeProfile profile, NodeHostnames.Names names) {
        var spec = credential.getSpec();
        var metadata = credential.getMetadata();
        Map<String, Object> variables = new LinkedHashMap<>();
        variables.put("nodeName", spec.nodeName);
        variables.put("hostname", names.hostnameOrNodeName());
        names.fqdn().ifPresent(fqdn -> variables.put("fqdn", fqdn));
        names.domain().ifPresent(domain -> variables.put("domain", domain));
        variables.put("namespace", metadata.getNamespace());
        variables.put("profile", profile.getMetadata().getName());
        List<String> macs = spec.hardware == null || spec.hardware.macs == null ? List.of() : List.copyOf(spec.hardware.macs);
        variables.put("macs", macs);
        if (!macs.isEmpty()) {
            variables.put("mac", macs.get(0));
        }
        if (spec.hardware != null && spec.hardware.smbiosUuid != null) {
            variables.put("smbiosUuid", spec.hardware.smbiosUuid);
        }
        List<String> addresses = spec.addresses == null ? List.of() : List.copyOf(spec.addresses);
        variables.put("addresses", addresses);
        if (!addresses.isEmpty()) {
            variables.put("address", addresses.get(0));
        }
        Map<String, String> labels = sorted(metadata.getLabels());
        Map<String, String> annotations = sorted(metadata.getAnnotations());
        variables.put("labels", labels);
        variables.put("labelList", entries(labels));
        variables.put("annotations", annotations);
        variables.put("annotationList", entries(annotations));
        List<String> edges = profile.getStatus() == null || profile.getStatus().edgeUrls == null ? List.of()
                : List.copyOf(profile.getStatus().edgeUrls);
        variables.put("edges", edges);
        variables.put("edgeHosts", edges.stream().map(NodeFileVariables::host).distinct().toList());
        return variables;
    }

    private static Map<String, String> sorted(Map<String, String> map) {
        return map == null ? Map.of() : new TreeMap<>(map);
    }

    /** {@code [{name, value}]}: keys with dots or slashes ({@code topology.kubernetes.io/zone}) cannot be named in a template. */
    private static List<Map<String, String>> entries(Map<String, String> map) {
        List<Map<String, String>> entries = new ArrayList<>();
        map.forEach((name, value) -> entries.add(Map.of("name", name, "value", value == null ? "" : value)));
        return entries;
    }

    private static String host(String url) {
        try {
            String host = URI.create(url).getHost();
            return host == null ? url : host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        } catch (IllegalArgumentException e) {
            return url;
        }
    }
}
