package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.operator.Names;
import dev.tether.operator.image.ImageKeySecret;
import dev.tether.operator.profile.RootPasswordSecret;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the node API reads for every boot, from informer caches instead of the API server: NodeProfiles, DisklessImages,
 * the image key Secrets and the root password Secrets. A boot storm measured five API server reads per booting node for these alone (the
 * profile and its image for boot-config, again for image-key and host-certificates, and the key Secret), all queued
 * behind the client's few connections to the API server. A miss in a cache (an informer not synced yet, an object
 * created a moment ago, a key Secret made by hand without the operator's labels) is read from the API server, as the
 * API keys' hashes are ({@link NodeAuthenticator}).
 *
 * <p>Watches what the operator watches: all namespaces, or each of {@code watchNamespaces}.
 */
final class CachedReads implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CachedReads.class);

    private final List<SharedIndexInformer<NodeProfile>> profiles = new ArrayList<>();
    private final List<SharedIndexInformer<DisklessImage>> images = new ArrayList<>();
    private final List<SharedIndexInformer<Secret>> imageKeys = new ArrayList<>();
    private final List<SharedIndexInformer<Secret>> rootPasswords = new ArrayList<>();

    private CachedReads() {}

    /** Informers started, not waited for: until they have synced, reads go to the API server. */
    static CachedReads start(KubernetesClient client, Set<String> watchNamespaces) {
        var reads = new CachedReads();
        try {
            for (Optional<String> namespace : namespaces(watchNamespaces)) {
                reads.profiles.add(inform(namespace.map(ns -> (Informable<NodeProfile>) client.resources(NodeProfile.class).inNamespace(ns))
                        .orElseGet(() -> client.resources(NodeProfile.class).inAnyNamespace())));
                reads.images.add(inform(namespace.map(ns -> (Informable<DisklessImage>) client.resources(DisklessImage.class).inNamespace(ns))
                        .orElseGet(() -> client.resources(DisklessImage.class).inAnyNamespace())));
                reads.imageKeys.add(inform(namespace.map(ns -> (Informable<Secret>) client.secrets().inNamespace(ns)
                                .withLabel(Names.COMPONENT, ImageKeySecret.COMPONENT))
                        .orElseGet(() -> client.secrets().inAnyNamespace().withLabel(Names.COMPONENT, ImageKeySecret.COMPONENT))));
                // Only Secrets marked for this use: the node API reads no other as a root password (RootPasswordSecret).
                reads.rootPasswords.add(inform(namespace.map(ns -> (Informable<Secret>) client.secrets().inNamespace(ns)
                                .withLabel(RootPasswordSecret.USE_LABEL, RootPasswordSecret.USE))
                        .orElseGet(() -> client.secrets().inAnyNamespace().withLabel(RootPasswordSecret.USE_LABEL, RootPasswordSecret.USE))));
            }
        } catch (RuntimeException e) {
            LOG.warn("the node API reads profiles, images and image keys from the API server: its caches did not start ({})",
                    e.toString());
            reads.close();
            return new CachedReads();
        }
        return reads;
    }

    private static List<Optional<String>> namespaces(Set<String> watchNamespaces) {
        return watchNamespaces.isEmpty() ? List.of(Optional.empty()) : watchNamespaces.stream().sorted().map(Optional::of).toList();
    }

    private static <T extends HasMetadata> SharedIndexInformer<T> inform(Informable<T> what) {
        SharedIndexInformer<T> informer = what.runnableInformer(0);
        informer.start();
        return informer;
    }

    Optional<NodeProfile> profile(String namespace, String name) {
        return find(profiles, namespace, name);
    }

    Optional<DisklessImage> image(String namespace, String name) {
        return find(images, namespace, name);
    }

    Optional<Secret> imageKey(String namespace, String name) {
        return find(imageKeys, namespace, name);
    }

    /** A Secret marked as a root password ({@link RootPasswordSecret}); empty for any other, or before the cache has it. */
    Optional<Secret> rootPassword(String namespace, String name) {
        return find(rootPasswords, namespace, name);
    }

    /** The cached object, from an informer that has synced; empty when none has it. */
    private static <T extends HasMetadata> Optional<T> find(List<SharedIndexInformer<T>> informers, String namespace, String name) {
        for (SharedIndexInformer<T> informer : informers) {
            if (informer.hasSynced()) {
                T found = informer.getStore().getByKey(namespace + "/" + name);
                if (found != null) {
                    return Optional.of(found);
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        List.of(profiles, images, imageKeys, rootPasswords).forEach(list -> list.forEach(SharedIndexInformer::close));
    }
}
