package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.NodeCredential;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the NodeCredential of a node by its {@code spec.nodeName} within a namespace. Only namespaces the
 * operator watches are searched: elsewhere it has no access, and no node of its can be there.
 */
final class NodeDirectory {
    private final KubernetesClient client;
    private final Set<String> watchNamespaces;

    NodeDirectory(KubernetesClient client, Set<String> watchNamespaces) {
        this.client = client;
        this.watchNamespaces = watchNamespaces;
    }

    boolean watches(String namespace) {
        return watchNamespaces.isEmpty() || watchNamespaces.contains(namespace);
    }

    /** The credential of {@code nodeName}, or empty; two credentials naming the same node are an error to fix. */
    Optional<NodeCredential> find(String namespace, String nodeName) throws Refusal {
        if (!watches(namespace)) {
            return Optional.empty();
        }
        List<NodeCredential> matches = client.resources(NodeCredential.class).inNamespace(namespace).list().getItems().stream()
                .filter(c -> c.getSpec() != null && nodeName.equals(c.getSpec().nodeName))
                .toList();
        if (matches.size() > 1) {
            throw new Refusal(409, "AmbiguousNode", "NodeCredentials " + matches.stream().map(c -> c.getMetadata().getName()).sorted().toList()
                    + " in namespace " + namespace + " all have spec.nodeName " + nodeName
                    + "; an administrator must give each node its own name");
        }
        return matches.stream().findFirst();
    }
}
