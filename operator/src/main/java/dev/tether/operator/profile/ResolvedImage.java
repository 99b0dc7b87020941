package dev.tether.operator.profile;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageStatus.ImageVersion;
import dev.tether.api.v1alpha1.NodeProfile;
import java.util.Optional;

/**
 * The image version a profile's nodes boot: the pinned digest if the profile pins one, else the
 * image's newest published version; or why there is none.
 */
public record ResolvedImage(ImageVersion version, String problemReason, String problem) {

    public static ResolvedImage resolve(NodeProfile profile, Optional<DisklessImage> image) {
        String name = profile.getSpec().image.name;
        String pinned = profile.getSpec().image.digest;
        if (image.isEmpty()) {
            return failed("ImageNotFound", "DisklessImage " + name + " does not exist in namespace "
                    + profile.getMetadata().getNamespace() + "; create it or fix spec.image.name.");
        }
        var status = image.get().getStatus();
        if (status == null || status.versions.isEmpty()) {
            return failed("ImageNotPublished", "DisklessImage " + name + " has no published version yet"
                    + (status != null && status.phase != null ? " (phase " + status.phase + ")" : "") + ".");
        }
        if (pinned == null) {
            return new ResolvedImage(status.versions.getFirst(), null, null);
        }
        return status.versions.stream()
                .filter(v -> pinned.equals(v.digest))
                .findFirst()
                .map(v -> new ResolvedImage(v, null, null))
                .orElseGet(() -> failed("PinnedVersionNotFound", "DisklessImage " + name + " has no published version "
                        + pinned + "; pin one listed in its status.versions or remove spec.image.digest."));
    }

    private static ResolvedImage failed(String reason, String message) {
        return new ResolvedImage(null, reason, message);
    }

    public boolean ok() {
        return version != null;
    }
}
