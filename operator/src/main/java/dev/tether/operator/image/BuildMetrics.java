package dev.tether.operator.image;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Finished image builds by outcome ({@code succeeded}, {@code failed}) and namespace, with their wall time, as a
 * histogram: {@code tether_image_build_duration_seconds} (its {@code _count} counts the builds).
 */
public final class BuildMetrics {
    /** Builds recently counted: a reconciliation that starts from a cache older than the status it wrote sees the same end again. */
    private final Set<String> counted = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 4096;
        }
    });
    private final MeterRegistry metrics;

    public BuildMetrics(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    public synchronized void finished(DisklessImage image, DisklessImageStatus.Build build, boolean succeeded, Duration took) {
        if (!counted.add(image.getMetadata().getUid() + "/" + build.generation + "/" + build.jobName)) {
            return;
        }
        Timer.builder("tether.image.build.duration")
                .description("Wall time of finished image builds")
                .tags("namespace", image.getMetadata().getNamespace(), "outcome", succeeded ? "succeeded" : "failed")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofSeconds(10)).maximumExpectedValue(Duration.ofHours(4))
                .register(metrics).record(took.isNegative() ? Duration.ZERO : took);
    }
}
