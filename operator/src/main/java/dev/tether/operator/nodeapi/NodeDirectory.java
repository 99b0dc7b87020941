package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.operator.credential.CredentialsByNodeName;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the NodeCredential of a node by its {@code spec.nodeName} within a namespace, in the informer cache (never
 * at the API server). Only namespaces the operator watches are searched: elsewhere it has no access, and no node of
 * its can be there.
 */
final class NodeDirectory {
    private final CredentialsByNodeName credentials;
    private final Set<String> watchNamespaces;

    NodeDirectory(CredentialsByNodeName credentials, Set<String> watchNamespaces) {
        this.credentials = credentials;
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
        List<NodeCredential> matches = credentials.find(namespace, nodeName);
        if (matches.size() > 1) {
            throw new Refusal(409, "AmbiguousNode", "NodeCredentials " + matches.stream().map(c -> c.getMetadata().getName()).sorted().toList()
                    + " in namespace " + namespace + " all have spec.nodeName " + nodeName
                    + "; an administrator must give each node its own name");
        }
        return matches.stream().findFirst();
    }
}
