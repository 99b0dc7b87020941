package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.NodeCredentialStatus.LastBoot;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The metrics of boot reports, by profile (Prometheus names in brackets): boot duration, the sum of the phases
 * ({@code tether_boot_duration_seconds}, also by method) and each phase's ({@code tether_boot_phase_duration_seconds},
 * by phase) as histograms; the root image fetch's bytes, requests, hedges, edge failures and integrity failures as
 * counters ({@code tether_boot_fetch_*_total}). Phase names come from authenticated nodes only, checked by
 * {@link BootReportEndpoint} (at most 64 per report, a short name each), which bounds their cardinality.
 *
 * <p>Each node's last boot is also kept as its timeline ({@code tether_node_boot_phase_seconds}, by node and phase, with
 * the phase's place in the boot as {@code order}), which the dashboard draws for one node at a time: one series per
 * node and phase, replaced at the node's next boot (about fifteen a node; 150,000 for 10,000 nodes).
 */
final class BootMetrics {
    private static final Duration MIN = Duration.ofMillis(10);
    private static final Duration MAX = Duration.ofMinutes(30);

    private final MeterRegistry metrics;
    /** Each node's timeline gauges, by namespace/node: replaced whole at its next boot. */
    private final Map<String, List<Meter>> timelines = new ConcurrentHashMap<>();

    BootMetrics(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    void record(String namespace, String node, String profile, String method, LastBoot boot) {
        timeline(namespace, node, profile, boot);
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
        count("tether.boot.fetch.bytes", "Root image bytes nodes fetched from edges", namespace, profile, fetch.bytes);
        if (fetch.wastedBytes != null) {
            count("tether.boot.fetch.wasted.bytes", "Root image bytes nodes fetched but did not need (hedge losers,"
                    + " damaged answers, read-ahead not read, the rest of chunks read in part)", namespace, profile,
                    fetch.wastedBytes);
        }
        count("tether.boot.fetch.requests", "Range requests nodes sent to edges, hedges included", namespace, profile, fetch.requests);
        count("tether.boot.fetch.hedges", "Second requests nodes sent because an edge was slow", namespace, profile, fetch.hedges);
        count("tether.boot.fetch.edge.failures", "Requests to edges that failed (refused, stalled, answered wrongly)",
                namespace, profile, fetch.edgeFailures);
        count("tether.boot.fetch.integrity.failures", "Answers from edges that failed verification", namespace, profile,
                fetch.integrityFailures);
    }

    /** The node's last boot, phase by phase in the order the agent ran them. */
    private void timeline(String namespace, String node, String profile, LastBoot boot) {
        // Registering a gauge again would return the old one, with the old boot's value: the old ones go first.
        List<Meter> previous = timelines.remove(namespace + "/" + node);
        if (previous != null) {
            previous.forEach(metrics::remove);
        }
        List<Meter> meters = new ArrayList<>();
        int order = 0;
        for (var phase : boot.phaseMillis.entrySet()) {
            double seconds = phase.getValue() / 1000.0;
            meters.add(Gauge.builder("tether.node.boot.phase", () -> seconds).baseUnit("seconds")
                    .description("Each phase of a node's last boot, in the order the agent ran them (order)")
                    .tags("namespace", namespace, "node", node, "profile", profile, "phase", phase.getKey(),
                            "order", String.format(Locale.ROOT, "%02d", order++))
                    .register(metrics));
        }
        timelines.put(namespace + "/" + node, meters);
    }

    private void count(String name, String description, String namespace, String profile, long amount) {
        Counter.builder(name).description(description).tags("namespace", namespace, "profile", profile)
                .register(metrics).increment(amount);
    }
}
