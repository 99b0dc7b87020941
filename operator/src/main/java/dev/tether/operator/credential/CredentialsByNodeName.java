package dev.tether.operator.credential;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.operator.Names;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the node API reads about nodes, from the NodeCredential controller's informer caches, so that a boot storm
 * or a flood costs the API server nothing: the credentials by {@code namespace/spec.nodeName}, and the salted
 * hashes of their API keys (the Secrets labelled {@code app.kubernetes.io/component=api-key}). The index is added
 * to the primary cache before its informer starts.
 */
public final class CredentialsByNodeName {
    static final String INDEX = "tether.dev/namespace-node-name";
    static final String MAC_INDEX = "tether.dev/namespace-mac";

    private volatile IndexedResourceCache<NodeCredential> cache;
    private volatile InformerEventSource<Secret, NodeCredential> keyHashes;

    /** Called once by the controller while it prepares its event sources; returns the API-key Secrets' event source. */
    InformerEventSource<Secret, NodeCredential> attach(EventSourceContext<NodeCredential> context) {
        var primary = context.getPrimaryCache();
        primary.addIndexer(INDEX, c -> c.getSpec() == null || c.getSpec().nodeName == null ? List.of()
                : List.of(key(c.getMetadata().getNamespace(), c.getSpec().nodeName)));
        primary.addIndexer(MAC_INDEX, c -> c.getSpec() == null || c.getSpec().hardware == null ? List.of()
                : c.getSpec().hardware.macs.stream().map(mac -> key(c.getMetadata().getNamespace(), mac)).toList());
        var secrets = InformerEventSourceConfiguration.from(Secret.class, NodeCredential.class)
                .withLabelSelector(Names.COMPONENT + "=api-key")
                .withSecondaryToPrimaryMapper(secret -> {
                    var labels = secret.getMetadata().getLabels();
                    String credential = labels == null ? null : labels.get(Names.CREDENTIAL_LABEL);
                    return credential == null ? Set.of() : Set.of(new ResourceID(credential, secret.getMetadata().getNamespace()));
                })
                .build();
        this.keyHashes = new InformerEventSource<>(secrets, context);
        this.cache = primary;
        return keyHashes;
    }

    /** Every credential in {@code namespace} whose {@code spec.nodeName} is {@code nodeName} (more than one is an error to report). */
    public List<NodeCredential> find(String namespace, String nodeName) {
        var current = cache;
        if (current == null) {
            throw new IllegalStateException("the NodeCredential controller has not started, so its cache cannot be read yet");
        }
        return current.byIndex(INDEX, key(namespace, nodeName));
    }

    /** Every credential in {@code namespace} that lists {@code mac} (lower case) among its hardware. */
    public List<NodeCredential> findByMac(String namespace, String mac) {
        var current = cache;
        if (current == null) {
            throw new IllegalStateException("the NodeCredential controller has not started, so its cache cannot be read yet");
        }
        return current.byIndex(MAC_INDEX, key(namespace, mac));
    }

    /**
     * The salted hash of the credential's key as the informer last saw it; empty when there is none, or none yet (a key
     * issued a moment ago may not have arrived): {@link ApiKeyStore#verify} reads the Secret itself.
     */
    public Optional<ApiKeys.Hashed> cachedKeyHash(String namespace, String credential) {
        var source = keyHashes;
        if (source == null) {
            return Optional.empty();
        }
        return source.get(new ResourceID(Names.apiKeySecret(credential), namespace)).flatMap(secret -> {
            var data = secret.getData();
            if (data == null || !data.containsKey(ApiKeyStore.SALT) || !data.containsKey(ApiKeyStore.HASH)) {
                return Optional.empty();
            }
            var decoder = Base64.getDecoder();
            return Optional.of(new ApiKeys.Hashed(new String(decoder.decode(data.get(ApiKeyStore.SALT)), StandardCharsets.UTF_8),
                    new String(decoder.decode(data.get(ApiKeyStore.HASH)), StandardCharsets.UTF_8)));
        });
    }

    private static String key(String namespace, String nodeName) {
        return namespace + "/" + nodeName;
    }
}
