package dev.tether.operator.image;

import dev.tether.api.v1alpha1.DisklessImage;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * Finished image builds by outcome ({@code succeeded}, {@code failed}) and namespace, with their wall time, as a
 * histogram: {@code tether_image_build_duration_seconds} (its {@code _count} counts the builds).
 */
final class BuildMetrics {
    private final MeterRegistry metrics;

    BuildMetrics(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    void finished(DisklessImage image, boolean succeeded, Duration took) {
        Timer.builder("tether.image.build.duration")
                .description("Wall time of finished image builds")
                .tags("namespace", image.getMetadata().getNamespace(), "outcome", succeeded ? "succeeded" : "failed")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofSeconds(10)).maximumExpectedValue(Duration.ofHours(4))
                .register(metrics).record(took.isNegative() ? Duration.ZERO : took);
    }
}
