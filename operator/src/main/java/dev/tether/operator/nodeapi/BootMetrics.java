package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.NodeCredentialStatus.LastBoot;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The metrics of boot reports, by profile (Prometheus names in brackets): boot duration, the sum of the phases
 * ({@code tether_boot_duration_seconds}, also by method) and each phase's ({@code tether_boot_phase_duration_seconds},
 * by phase) as histograms; the root image fetch's bytes, requests, hedges, edge failures and integrity failures as
 * counters ({@code tether_boot_fetch_*_total}). Phase names come from authenticated nodes only, checked by
 * {@link BootReportEndpoint} (at most 64 per report, a short name each), which bounds their cardinality.
 */
final class BootMetrics {
    private static final Duration MIN = Duration.ofMillis(10);
    private static final Duration MAX = Duration.ofMinutes(30);

    private final MeterRegistry metrics;

    BootMetrics(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    void record(String namespace, String profile, String method, LastBoot boot) {
        long total = boot.phaseMillis.values().stream().mapToLong(Long::longValue).sum();
        Timer.builder("tether.boot.duration")
                .description("Boot time reported by nodes: the sum of the agent's phases")
                .tags("namespace", namespace, "profile", profile, "method", method)
                .publishPercentileHistogram().minimumExpectedValue(MIN).maximumExpectedValue(MAX)
                .register(metrics).record(Duration.ofMillis(total));
        for (var phase : boot.phaseMillis.entrySet()) {
            Timer.builder("tether.boot.phase.duration")
                    .description("Time of one boot phase reported by nodes")
                    .tags("namespace", namespace, "profile", profile, "phase", phase.getKey())
                    .publishPercentileHistogram().minimumExpectedValue(MIN).maximumExpectedValue(MAX)
                    .register(metrics).record(Duration.ofMillis(phase.getValue()));
        }
        var fetch = boot.fetch;
        if (fetch == null) {
            return;
        }
        count("tether.boot.fetch.bytes", "Verified root image bytes nodes read from edges", namespace, profile, fetch.bytes);
        count("tether.boot.fetch.requests", "Range requests nodes sent to edges, hedges included", namespace, profile, fetch.requests);
        count("tether.boot.fetch.hedges", "Second requests nodes sent because an edge was slow", namespace, profile, fetch.hedges);
        count("tether.boot.fetch.edge.failures", "Requests to edges that failed (refused, stalled, answered wrongly)",
                namespace, profile, fetch.edgeFailures);
        count("tether.boot.fetch.integrity.failures", "Answers from edges that failed verification", namespace, profile,
                fetch.integrityFailures);
    }

    private void count(String name, String description, String namespace, String profile, long amount) {
        Counter.builder(name).description(description).tags("namespace", namespace, "profile", profile)
                .register(metrics).increment(amount);
    }
}
