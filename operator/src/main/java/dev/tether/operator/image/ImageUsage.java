package dev.tether.operator.image;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageStatus.ImageVersion;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeProfile;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Which image versions and blobs something still needs: what garbage collection must keep. */
public class ImageUsage {
    private final Set<String> watchedNamespaces;

    /** @param watchedNamespaces where images live (and where the operator may list them); empty for all */
    public ImageUsage(Set<String> watchedNamespaces) {
        this.watchedNamespaces = Set.copyOf(watchedNamespaces);
    }

    /** Digests of the image pinned by a profile, or last booted by a node of a profile that uses it. */
    public Set<String> digestsInUse(KubernetesClient client, DisklessImage image) {
        String ns = image.getMetadata().getNamespace();
        String name = image.getMetadata().getName();
        var profiles = client.resources(NodeProfile.class).inNamespace(ns).list().getItems().stream()
                .filter(p -> p.getSpec() != null && p.getSpec().image != null && name.equals(p.getSpec().image.name))
                .toList();
        var profileNames = profiles.stream().map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
        var inUse = new HashSet<String>();
        profiles.stream().map(p -> p.getSpec().image.digest).filter(Objects::nonNull).forEach(inUse::add);
        client.resources(NodeCredential.class).inNamespace(ns).list().getItems().stream()
                .filter(c -> c.getSpec() != null && profileNames.contains(c.getSpec().profile))
                .filter(c -> c.getStatus() != null && c.getStatus().lastBoot != null && c.getStatus().lastBoot.digest != null)
                .forEach(c -> inUse.add(c.getStatus().lastBoot.digest));
        return inUse;
    }

    /**
     * Blobs that versions other than {@code leaving} still reference, across all images: content
     * addressing shares a kernel between versions, so a blob goes only when its last user does.
     */
    public Set<String> blobsReferenced(KubernetesClient client, DisklessImage image, Collection<ImageVersion> leaving) {
        var leavingDigests = leaving.stream().map(v -> v.digest).collect(Collectors.toSet());
        return allImages(client).stream()
                .filter(i -> i.getStatus() != null)
                .flatMap(i -> i.getStatus().versions.stream()
                        .filter(v -> !(sameImage(i, image) && leavingDigests.contains(v.digest))))
                .flatMap(v -> blobs(v).stream())
                .collect(Collectors.toSet());
    }

    /** Every image the operator watches; with namespaces configured it may not list cluster-wide. */
    private List<DisklessImage> allImages(KubernetesClient client) {
        if (watchedNamespaces.isEmpty()) {
            return client.resources(DisklessImage.class).inAnyNamespace().list().getItems();
        }
        return watchedNamespaces.stream()
                .flatMap(ns -> client.resources(DisklessImage.class).inNamespace(ns).list().getItems().stream())
                .toList();
    }

    public static List<String> blobs(ImageVersion version) {
        if (version.artifacts == null) {
            return List.of(version.digest);
        }
        var a = version.artifacts;
        return Stream.of(a.manifest, a.kernel, a.initramfs, a.rootImage)
                .filter(Objects::nonNull)
                .map(path -> "sha256:" + path.substring(path.lastIndexOf('/') + 1))
                .toList();
    }

    private static boolean sameImage(DisklessImage a, DisklessImage b) {
        return a.getMetadata().getNamespace().equals(b.getMetadata().getNamespace())
                && a.getMetadata().getName().equals(b.getMetadata().getName());
    }
}
