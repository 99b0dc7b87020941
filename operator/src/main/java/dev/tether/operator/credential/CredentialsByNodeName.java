package dev.tether.operator.credential;

import dev.tether.api.v1alpha1.NodeCredential;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import java.util.List;

/**
 * NodeCredentials by {@code namespace/spec.nodeName}, read from the NodeCredential controller's informer cache, so
 * that looking a node up (which every node API request does, unauthenticated ones included) costs the API server
 * nothing however many requests come. The index is added to the cache before its informer starts.
 */
public final class CredentialsByNodeName {
    static final String INDEX = "tether.dev/namespace-node-name";

    private volatile IndexedResourceCache<NodeCredential> cache;

    /** Called once by the controller while it prepares its event sources. */
    void attach(IndexerResourceCache<NodeCredential> primaryCache) {
        primaryCache.addIndexer(INDEX, c -> c.getSpec() == null || c.getSpec().nodeName == null ? List.of()
                : List.of(key(c.getMetadata().getNamespace(), c.getSpec().nodeName)));
        this.cache = primaryCache;
    }

    /** Every credential in {@code namespace} whose {@code spec.nodeName} is {@code nodeName} (more than one is an error to report). */
    public List<NodeCredential> find(String namespace, String nodeName) {
        var current = cache;
        if (current == null) {
            throw new IllegalStateException("the NodeCredential controller has not started, so its cache cannot be read yet");
        }
        return current.byIndex(INDEX, key(namespace, nodeName));
    }

    private static String key(String namespace, String nodeName) {
        return namespace + "/" + nodeName;
    }
}
