package dev.tether.operator.nodeapi;

import dev.tether.nodeapi.NodeApi;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The node API's own time per request, server side, by endpoint: how long a request waited for a handler thread
 * ({@value #QUEUED}), how long its handler took ({@value #HANDLED}: its Kubernetes API round trips included), and the
 * handler thread's CPU for it ({@value #CPU}); and the requests whose client had gone when a handler came to them
 * ({@value #ABANDONED}), which are not answered; and each connection's TLS handshake ({@value #HANDSHAKE}, by outcome),
 * the CPU-heaviest step of a boot's first request. Beside the latency a node measures (TLS, the edges' relay, and any wait
 * for a CPU on its way), these say whether the node API's own work or the queue in front of it bounds a boot's wait.
 *
 * <p>The endpoint tag is one of the node API's endpoint names, {@code discovery}, or {@code other}: never a path as the
 * client sent it, so that strangers' requests cannot grow the metric's series. The histograms are cumulative (as
 * Prometheus keeps them), so that a window's figures are the difference of two snapshots.
 */
public final class RequestTimings {
    public static final String QUEUED = "tether.nodeapi.request.queued";
    public static final String HANDLED = "tether.nodeapi.request.handled";
    public static final String CPU = "tether.nodeapi.request.cpu";
    public static final String ABANDONED = "tether.nodeapi.request.abandoned";
    /** From a connection's acceptance to its TLS handshake's end (a PROXY header first, where edges send one). */
    public static final String HANDSHAKE = "tether.nodeapi.tls.handshake";
    private static final Set<String> ENDPOINTS = Set.of(NodeApi.API_KEY, NodeApi.BOOT_CONFIG, NodeApi.IMAGE_KEY,
            NodeApi.HOST_CERTIFICATES, NodeApi.BOOT_REPORT, NodeApi.BOOT_FILES, NodeApi.PERSISTENCE_KEY, NodeApi.PERSISTENCE);
    private static final Duration[] BUCKETS = java.util.stream.LongStream.of(1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200,
            300, 500, 700, 1000, 1500, 2000, 3000, 5000, 7000, 10_000, 15_000, 20_000, 30_000, 60_000)
            .mapToObj(Duration::ofMillis).toArray(Duration[]::new);
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private record Meters(Timer queued, Timer handled, Counter cpu) {}

    private final MeterRegistry registry;
    private final Map<String, Meters> byEndpoint = new ConcurrentHashMap<>();

    RequestTimings(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The endpoint a raw request path names, as a tag: a known name, {@code discovery}, or {@code other}. */
    static String endpointOf(String rawPath) {
        if (rawPath == null) {
            return "other";
        }
        String last = rawPath.substring(rawPath.lastIndexOf('/') + 1);
        if (last.equals(NodeApi.DISCOVERY) && rawPath.contains("/profiles/")) {
            return NodeApi.DISCOVERY;
        }
        return ENDPOINTS.contains(last) ? last : "other";
    }

    /** The calling thread's CPU time so far (0 where the JVM does not measure it). */
    static long threadCpuNanos() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : 0;
    }

    void record(String endpoint, long queuedNanos, long handledNanos, long cpuNanos) {
        Meters meters = byEndpoint.computeIfAbsent(endpoint, this::meters);
        meters.queued.record(queuedNanos, TimeUnit.NANOSECONDS);
        meters.handled.record(handledNanos, TimeUnit.NANOSECONDS);
        meters.cpu.increment(cpuNanos / 1e9);
    }

    /** A request whose client had gone when a handler came to it: not answered, only counted. */
    void abandoned(String endpoint, long queuedNanos) {
        byEndpoint.computeIfAbsent(endpoint, this::meters).queued.record(queuedNanos, TimeUnit.NANOSECONDS);
        Counter.builder(ABANDONED).description("Node API requests whose client had gone before a handler came to them")
                .tag("endpoint", endpoint).register(registry).increment();
    }

    /** A connection's TLS handshake ended, {@code ok} or not, {@code nanos} after the connection was accepted. */
    void handshake(long nanos, boolean ok) {
        timer(HANDSHAKE, "Time from a node API connection's acceptance to its TLS handshake's end", "outcome", ok ? "ok" : "failed")
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    private Meters meters(String endpoint) {
        return new Meters(timer(QUEUED, "Time a node API request waited for a handler thread", "endpoint", endpoint),
                timer(HANDLED, "Time a node API handler took for a request, Kubernetes API round trips included", "endpoint", endpoint),
                Counter.builder(CPU).baseUnit("seconds").description("Handler threads' CPU time for node API requests")
                        .tag("endpoint", endpoint).register(registry));
    }

    private Timer timer(String name, String description, String tag, String value) {
        return Timer.builder(name).description(description).tag(tag, value)
                // Buckets of their own rather than the registry's percentile histogram, which not every registry keeps;
                // one of them at 1 s, the node API's target at a boot storm's p99.
                .serviceLevelObjectives(BUCKETS)
                // One window for the process's life: cumulative buckets, whatever the registry.
                .distributionStatisticExpiry(Duration.ofDays(3650)).distributionStatisticBufferLength(1)
                .register(registry);
    }
}
