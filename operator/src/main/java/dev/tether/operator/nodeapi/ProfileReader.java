package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.SecretKeyRef;
import dev.tether.operator.profile.RootPasswordSecret;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The NodeProfile a node's credential names, and the DisklessImage that profile boots: from the node API's caches,
 * or from the API server when a cache does not have them (yet).
 */
final class ProfileReader {
    private final KubernetesClient client;
    private final CachedReads cache;

    ProfileReader(KubernetesClient client, CachedReads cache) {
        this.client = client;
        this.cache = cache;
    }

    NodeProfile profile(NodeCredential credential) throws Refusal {
        String namespace = credential.getMetadata().getNamespace();
        String name = credential.getSpec().profile;
        NodeProfile profile = cache.profile(namespace, name)
                .orElseGet(() -> client.resources(NodeProfile.class).inNamespace(namespace).withName(name).get());
        if (profile == null) {
            throw new Refusal(409, "NotBootable", "NodeCredential " + namespace + "/" + credential.getMetadata().getName()
                    + " names NodeProfile " + name + ", which does not exist; create it or fix spec.profile");
        }
        return profile;
    }

    /**
     * The root password the profile names, from the cache of marked Secrets; a miss (not synced yet, created a moment
     * ago, or not marked, which the API server's copy then shows) is read from the API server.
     */
    RootPasswordSecret.Lookup rootPassword(NodeProfile profile) {
        String namespace = profile.getMetadata().getNamespace();
        SecretKeyRef ref = profile.getSpec().rootPasswordHash;
        if (ref == null) {
            return new RootPasswordSecret.NotSet();
        }
        return cache.rootPassword(namespace, ref.name).map(secret -> RootPasswordSecret.of(secret, namespace, ref))
                .orElseGet(() -> RootPasswordSecret.read(client, namespace, ref));
    }

    /** The profile's image, or null when it does not exist (the caller says what that means for it). */
    DisklessImage image(NodeProfile profile) {
        return cache.image(profile.getMetadata().getNamespace(), profile.getSpec().image.name).orElseGet(() -> imageFromApiServer(profile));
    }

    /** The profile's image as the API server has it now: for a version published a moment ago, before a refusal. */
    DisklessImage imageFromApiServer(NodeProfile profile) {
        return client.resources(DisklessImage.class).inNamespace(profile.getMetadata().getNamespace())
                .withName(profile.getSpec().image.name).get();
    }
}
