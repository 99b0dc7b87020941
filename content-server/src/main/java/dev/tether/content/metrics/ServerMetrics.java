package dev.tether.content.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Every meter the content server exports, registered once. Request counters are looked up by a
 * small integer key rather than built from tags per request, so counting costs no allocation on the
 * serving path; the method tag is folded to a fixed set so a client cannot grow the label space.
 */
public final class ServerMetrics {
    private static final String[] METHODS = {"GET", "HEAD", "PUT", "DELETE", "POST", "OTHER"};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ConcurrentHashMap<Integer, Counter> requests = new ConcurrentHashMap<>();
    private final Counter bytesSent;
    private final AtomicInteger openConnections = new AtomicInteger();
    private final AtomicInteger openPassThrough = new AtomicInteger();
    private final Counter cacheHits;
    private final Counter cacheMisses;
    private final Counter fillsOk;
    private final Counter fillsFailed;
    private final Counter fillsDiscarded;
    private final Counter bytesFilled;
    private final Timer fillDuration;
    private final Counter fillsHeldBack;
    private final Counter prefetchRefused;
    private final Counter cacheVerifiedOk;
    private final Counter cacheVerifiedFailed;

    public ServerMetrics() {
        this("content-server");
    }

    /** @param component origin or edge: {@code tether_build_info}'s component label */
    public ServerMetrics(String component) {
        bindProcessMetrics(component);
        bytesSent = Counter.builder("tether.http.sent.bytes").description("Response body bytes sent").register(registry);
        Gauge.builder("tether.http.connections.open", openConnections, AtomicInteger::get)
                .description("Open HTTP connections").register(registry);
        Gauge.builder("tether.nodeapi.connections.open", openPassThrough, AtomicInteger::get)
                .description("Open node API pass-through connections").register(registry);
        cacheHits = Counter.builder("tether.cache.hits").description("Blob requests answered from the edge's disk")
                .register(registry);
        cacheMisses = Counter.builder("tether.cache.misses").description("Blob requests that started or joined a fill")
                .register(registry);
        fillsOk = fills("stored");
        fillsFailed = fills("failed");
        fillsDiscarded = fills("discarded");
        bytesFilled = Counter.builder("tether.cache.filled.bytes").description("Bytes fetched from origin or peers")
                .register(registry);
        fillDuration = Timer.builder("tether.cache.fill.duration").description("Time to fetch and verify one blob")
                .publishPercentileHistogram().register(registry);
        fillsHeldBack = Counter.builder("tether.cache.fill.backoff")
                .description("Blob requests answered 503 because the blob's last fill failed and its back-off runs")
                .register(registry);
        prefetchRefused = Counter.builder("tether.prefetch.refused")
                .description("Prefetch requests refused with 429 because the queue was full").register(registry);
        cacheVerifiedOk = verifications("ok");
        cacheVerifiedFailed = verifications("failed");
    }

    /** The JVM's memory, GC, threads, classes and CPU, and {@code tether_build_info} naming the running version. */
    private void bindProcessMetrics(String component) {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        String version = Objects.requireNonNullElse(ServerMetrics.class.getPackage().getImplementationVersion(), "unknown");
        Gauge.builder("tether.build.info", () -> 1)
                .description("Always 1; the labels name the running Tether version and component")
                .tags("version", version, "component", component, "java", Runtime.version().toString())
                .register(registry);
    }

    /** A changed boot configuration file was applied, or rejected (invalid: the previous one stays in use). */
    public void bootConfigReload(boolean applied) {
        Counter.builder("tether.boot.config.reloads").tag("result", applied ? "applied" : "rejected")
                .description("Changes of the operator's boot configuration file seen by this edge, by result; a rejected one"
                        + " leaves the previous configuration in use")
                .register(registry).increment();
    }

    private Counter verifications(String result) {
        return Counter.builder("tether.cache.verifications").tag("result", result)
                .description("Cached blobs found at start, verified against their digest before first use; failed ones are dropped and filled again")
                .register(registry);
    }

    private Counter fills(String result) {
        return Counter.builder("tether.cache.fills").tag("result", result)
                .description("Fills by result: stored, failed (no source had it intact), discarded (one source's bytes failed verification)")
                .register(registry);
    }

    public void request(String method, int status, long bodyBytes) {
        int m = methodIndex(method);
        requests.computeIfAbsent(m * 1000 + status, k -> Counter.builder("tether.http.requests")
                .description("HTTP requests by method and status").tag("method", METHODS[m])
                .tag("status", Integer.toString(status)).register(registry)).increment();
        if (bodyBytes > 0) {
            bytesSent.increment(bodyBytes);
        }
    }

    private static int methodIndex(String method) {
        for (int i = 0; i < METHODS.length - 1; i++) {
            if (METHODS[i].equals(method)) {
                return i;
            }
        }
        return METHODS.length - 1;
    }

    public void connectionOpened() {
        openConnections.incrementAndGet();
    }

    public void connectionClosed() {
        openConnections.decrementAndGet();
    }

    public void passThroughOpened() {
        openPassThrough.incrementAndGet();
    }

    public void passThroughClosed() {
        openPassThrough.decrementAndGet();
    }

    public void cacheHit() {
        cacheHits.increment();
    }

    public void cacheMiss() {
        cacheMisses.increment();
    }

    public void fillStored(Duration took, long bytes) {
        fillsOk.increment();
        fillDuration.record(took);
        bytesFilled.increment(bytes);
    }

    public void fillDiscarded() {
        fillsDiscarded.increment();
    }

    public void fillFailed() {
        fillsFailed.increment();
    }

    public void fillHeldBack() {
        fillsHeldBack.increment();
    }

    public void prefetchRefused() {
        prefetchRefused.increment();
    }

    public void prefetchQueue(IntSupplier queued, int capacity) {
        Gauge.builder("tether.prefetch.queued", queued::getAsInt).description("Digests waiting in the prefetch queue")
                .register(registry);
        Gauge.builder("tether.prefetch.capacity", () -> capacity).description("The prefetch queue's capacity").register(registry);
    }

    public void cacheVerified(boolean intact) {
        (intact ? cacheVerifiedOk : cacheVerifiedFailed).increment();
    }

    public void cacheUsage(LongSupplier usedBytes, long quotaBytes) {
        Gauge.builder("tether.cache.used.bytes", usedBytes::getAsLong).description("Bytes the edge cache holds or has reserved")
                .register(registry);
        Gauge.builder("tether.cache.quota.bytes", () -> quotaBytes).description("The edge cache's quota").register(registry);
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }
}
