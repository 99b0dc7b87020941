package dev.tether.operator.image;

import dev.tether.api.v1alpha1.DisklessImageStatus;
import dev.tether.api.v1alpha1.DisklessImageStatus.Build;
import dev.tether.api.v1alpha1.DisklessImageStatus.BuildState;
import dev.tether.operator.Health;

/**
 * An image is Current once the build of its newest generation is published; in progress while that build
 * runs (an older version may still be served meanwhile); stalled when it failed, since building the same
 * spec again would fail the same way: a spec change (or deleting the image) is what moves it on.
 */
final class ImageHealth {
    private ImageHealth() {}

    static Health of(DisklessImageStatus status, long generation) {
        Build build = status.build;
        String served = status.shortDigest == null ? "" : " Version " + status.shortDigest + " is still served.";
        if (build == null || build.generation == null || build.generation < generation) {
            return new Health.InProgress("BuildPending", "Generation " + generation + " is not built yet." + served);
        }
        if (build.state == BuildState.SUCCEEDED) {
            return new Health.Current("Published", "Version " + status.shortDigest + " of generation " + build.generation
                    + " is published.");
        }
        if (build.state == BuildState.FAILED) {
            return new Health.Stalled("BuildFailed", "The build of generation " + build.generation + " failed: " + build.failure
                    + "\nFix the spec (a new generation builds again)"
                    // A build refused before it started (its pull Secret) has no log.
                    + (status.buildLog == null ? "." : "; see " + status.buildLog + ".") + served);
        }
        return new Health.InProgress("Building", "Building generation " + build.generation + " in Job " + build.jobName + "." + served);
    }
}
