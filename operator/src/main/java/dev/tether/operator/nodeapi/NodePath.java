package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.Patterns;
import dev.tether.nodeapi.NodeApi;
import java.util.regex.Pattern;

/**
 * {@code /v1/namespaces/<namespace>/nodes/<nodeName>/<endpoint>}, matched on the raw path: namespaces and
 * node names are DNS labels, so a percent-encoded segment is never valid and nothing can alias.
 */
public record NodePath(String namespace, String node, String endpoint) {
    private static final Pattern LABEL = Pattern.compile(Patterns.DNS_LABEL);
    private static final Pattern ENDPOINT = Pattern.compile("^[a-z][a-z-]{0,31}$");

    public static NodePath parse(String rawPath) throws Refusal {
        String[] parts = rawPath.split("/", -1);
        if (parts.length != 7 || !parts[0].isEmpty() || !parts[1].equals(NodeApi.VERSION) || !parts[2].equals("namespaces")
                || !parts[4].equals("nodes")) {
            throw new Refusal(404, "NotFound", "no such path: node API paths are /" + NodeApi.VERSION
                    + "/namespaces/<namespace>/nodes/<nodeName>/<endpoint>");
        }
        if (!label(parts[3]) || !label(parts[5])) {
            throw Refusal.badRequest("BadPath", "the namespace and the node name must be DNS labels (lower case letters, digits"
                    + " and '-', at most 63 characters)");
        }
        if (!ENDPOINT.matcher(parts[6]).matches()) {
            throw new Refusal(404, "NotFound", "no such endpoint; the node API has " + String.join(", ", NodeApi.API_KEY,
                    NodeApi.BOOT_CONFIG, NodeApi.IMAGE_KEY, NodeApi.HOST_CERTIFICATES, NodeApi.BOOT_REPORT));
        }
        return new NodePath(parts[3], parts[5], parts[6]);
    }

    private static boolean label(String text) {
        return text.length() <= 63 && LABEL.matcher(text).matches();
    }

    @Override
    public String toString() {
        return namespace + "/" + node + " " + endpoint;
    }
}
