package dev.tether.operator.image;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageStatus;
import dev.tether.api.v1alpha1.DisklessImageStatus.BuildState;
import dev.tether.operator.Names;
import io.fabric8.kubernetes.api.model.batch.v1.Job;

/**
 * When a boot order arrives for an image whose current build was packed without one, the image is built once more
 * for the same spec generation with the order (a new immutable version): so a site gets a boot-ordered image from
 * its first booted node, without a spec change. Once per generation: the re-pack build says it is one, and neither
 * it nor a build that used an order is followed by another. {@code spec.bootOrder.repack: false} turns this off (the
 * order is still kept, and the next build the spec causes uses it).
 */
public final class BootOrderRepack {
    private BootOrderRepack() {
    }

    public static boolean enabled(DisklessImage image) {
        var bootOrder = image.getSpec().bootOrder;
        return bootOrder == null || !Boolean.FALSE.equals(bootOrder.repack);
    }

    /** True when the image should be re-packed now with the boot order {@code kept} (null: none kept). */
    public static boolean due(DisklessImage image, DisklessImageStatus.BootOrder kept) {
        DisklessImageStatus.Build build = image.getStatus() == null ? null : image.getStatus().build;
        return kept != null && enabled(image) && build != null && build.state == BuildState.SUCCEEDED
                && build.generation != null && build.generation == image.getMetadata().getGeneration()
                && (build.bootOrderFiles == null || build.bootOrderFiles == 0) && !Boolean.TRUE.equals(build.repack);
    }

    /** The builder Job of generation {@code generation}, renamed for its re-pack (the first Job may still be kept). */
    static Job asRepack(Job job, DisklessImage image, long generation) {
        job.getMetadata().setName(Names.repackJob(image.getMetadata().getName(), generation));
        return job;
    }
}
