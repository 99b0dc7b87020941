package dev.tether.operator.profile;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageStatus;
import dev.tether.api.v1alpha1.DisklessImageStatus.ImageVersion;
import dev.tether.api.v1alpha1.NodeProfile;
import java.util.Optional;

/**
 * The image version a profile's nodes boot: the pinned digest if the profile pins one, else the
 * image's newest published version; or why there is none.
 */
public record ResolvedImage(ImageVersion version, String problemReason, String problem) {
    static final String IMAGE_BUILD_FAILED = "ImageBuildFailed";
    static final String IMAGE_NOT_PUBLISHED = "ImageNotPublished";

    /** Whether the problem goes away by itself (the image is still building) rather than needing someone to act. */
    public boolean problemIsTransient() {
        return IMAGE_NOT_PUBLISHED.equals(problemReason);
    }

    public static ResolvedImage resolve(NodeProfile profile, Optional<DisklessImage> image) {
        String name = profile.getSpec().image.name;
        String pinned = profile.getSpec().image.digest;
        if (image.isEmpty()) {
            return failed("ImageNotFound", "DisklessImage " + name + " does not exist in namespace "
                    + profile.getMetadata().getNamespace() + "; create it or fix spec.image.name.");
        }
        var status = image.get().getStatus();
        if (status != null && status.versions.isEmpty() && status.phase == DisklessImageStatus.Phase.FAILED) {
            return failed(IMAGE_BUILD_FAILED, "DisklessImage " + name + " has no published version: its build failed"
                    + " (kubectl describe disklessimage " + name + ").");
        }
        if (status == null || status.versions.isEmpty()) {
            return failed(IMAGE_NOT_PUBLISHED, "DisklessImage " + name + " has no published version yet"
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
