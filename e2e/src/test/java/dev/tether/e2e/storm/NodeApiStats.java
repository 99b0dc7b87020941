package dev.tether.e2e.storm;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.operator.nodeapi.RequestTimings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What the operator's JVM saw of the node API, server side, cumulative since it started (the benchmark takes the
 * difference over the storm, {@link #minus}): per endpoint the time requests waited for a handler thread and the
 * handlers' time and CPU (the node API's own {@link RequestTimings} histograms); the Kubernetes API requests by verb and
 * resource; and the JVM's CPU by thread group: the node API's event loops (TLS and HTTP), its handler threads and
 * deferred events, vert.x (the in-memory API server and the client's I/O), the controllers, and the rest.
 *
 * @param endpoints   by endpoint
 * @param apiRequests Kubernetes API requests by {@code VERB resource[/subresource]}
 * @param cpuSeconds  the JVM's CPU by thread group
 */
public record NodeApiStats(Map<String, Endpoint> endpoints, Map<String, Long> apiRequests, Map<String, Double> cpuSeconds) {
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    /** The row of the TLS handshakes (accepted connection to handshake done), beside the endpoints. */
    public static final String TLS_HANDSHAKE = "tls-handshake";
    public static final String EVENT_LOOPS = "node API event loops (TLS, HTTP)";
    public static final String HANDLERS = "node API handler threads";
    public static final String DEFERRED_EVENTS = "node API deferred events";
    /** Both ends of the Kubernetes API here: the in-memory API server and the operator's client run on vert.x. */
    public static final String VERTX = "vert.x event loops (in-memory API server, client I/O)";
    /** JOSDK's reconciler threads (the executor's default names). */
    public static final String CONTROLLERS = "controllers (reconciler threads)";
    public static final String REST = "rest of the JVM (informers, GC, JIT, this benchmark's own)";

    /**
     * One endpoint: requests answered, handler CPU, and two histograms (bucket upper bounds in ms, each with the number
     * of requests at or below it; {@code count} minus the last is above the highest bound).
     */
    public record Endpoint(long count, double cpuSeconds, long[] boundsMillis, long[] queued, long[] handled) {
        Endpoint minus(Endpoint before) {
            return before == null ? this : new Endpoint(count - before.count, cpuSeconds - before.cpuSeconds, boundsMillis,
                    diff(queued, before.queued), diff(handled, before.handled));
        }

        /** The upper bound (ms) of the bucket holding the {@code percent}th percentile; -1 for no requests. */
        static long percentile(long count, long[] bounds, long[] cumulative, int percent) {
            if (count <= 0) {
                return -1;
            }
            long rank = (long) Math.ceil(percent / 100.0 * count);
            for (int i = 0; i < bounds.length; i++) {
                if (cumulative[i] >= rank) {
                    return bounds[i];
                }
            }
            return Long.MAX_VALUE;
        }

        public long queuedPercentile(int percent) {
            return percentile(count, boundsMillis, queued, percent);
        }

        public long handledPercentile(int percent) {
            return percentile(count, boundsMillis, handled, percent);
        }

        private static long[] diff(long[] after, long[] before) {
            long[] d = new long[after.length];
            for (int i = 0; i < after.length; i++) {
                d[i] = after[i] - (before != null && i < before.length ? before[i] : 0);
            }
            return d;
        }
    }

    public NodeApiStats minus(NodeApiStats before) {
        var endpointsDuring = new TreeMap<String, Endpoint>();
        endpoints.forEach((name, e) -> endpointsDuring.put(name, e.minus(before.endpoints.get(name))));
        endpointsDuring.values().removeIf(e -> e.count == 0);
        var requestsDuring = new TreeMap<String, Long>();
        apiRequests.forEach((kind, n) -> requestsDuring.put(kind, n - before.apiRequests.getOrDefault(kind, 0L)));
        requestsDuring.values().removeIf(n -> n == 0);
        var cpuDuring = new TreeMap<String, Double>();
        cpuSeconds.forEach((group, s) -> cpuDuring.put(group, s - before.cpuSeconds.getOrDefault(group, 0.0)));
        return new NodeApiStats(endpointsDuring, requestsDuring, cpuDuring);
    }

    /** The node API's figures from the operator's registry, and this JVM's CPU by thread group, as they are now. */
    static NodeApiStats capture(MeterRegistry registry, Map<String, Long> apiRequests) {
        var endpoints = new TreeMap<String, Endpoint>();
        for (Timer handled : registry.find(RequestTimings.HANDLED).timers()) {
            String endpoint = handled.getId().getTag("endpoint");
            endpoints.put(endpoint, endpoint(handled, registry.find(RequestTimings.QUEUED).tag("endpoint", endpoint).timer(),
                    registry.find(RequestTimings.CPU).tag("endpoint", endpoint).counter()));
        }
        Timer handshakes = registry.find(RequestTimings.HANDSHAKE).tag("outcome", "ok").timer();
        if (handshakes != null) {
            // One more row: the handshakes have no queue or handler of their own; their time counts as "handled".
            endpoints.put(TLS_HANDSHAKE, endpoint(handshakes, null, null));
        }
        double handlers = endpoints.values().stream().mapToDouble(Endpoint::cpuSeconds).sum();
        return new NodeApiStats(endpoints, new TreeMap<>(apiRequests), threadCpu(handlers));
    }

    private static Endpoint endpoint(Timer handled, Timer queued, Counter cpu) {
        CountAtBucket[] h = handled.takeSnapshot().histogramCounts();
        CountAtBucket[] q = queued == null ? new CountAtBucket[0] : queued.takeSnapshot().histogramCounts();
        long[] bounds = new long[h.length];
        long[] handledCounts = new long[h.length];
        long[] queuedCounts = new long[h.length];
        for (int i = 0; i < h.length; i++) {
            bounds[i] = Math.round(h[i].bucket(TimeUnit.MILLISECONDS));
            handledCounts[i] = (long) h[i].count();
            queuedCounts[i] = i < q.length ? (long) q[i].count() : 0;
        }
        return new Endpoint(handled.count(), cpu == null ? 0 : cpu.count(), bounds, queuedCounts, handledCounts);
    }

    /**
     * @param handlers the handler threads' CPU as the node API counts it per request (they end when idle, and a thread that
     *                 ended has no CPU time to read)
     */
    private static Map<String, Double> threadCpu(double handlers) {
        var threads = ManagementFactory.getThreadMXBean();
        var groups = new TreeMap<String, Double>();
        double named = 0;
        for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            String name = info.getThreadName();
            String group = name.startsWith("node-api-io") || name.startsWith("node-api-accept") ? EVENT_LOOPS
                    : name.equals("node-api-events") ? DEFERRED_EVENTS
                    : name.startsWith("vert.x-eventloop") ? VERTX
                    : name.matches("pool-[0-9]+-thread-[0-9]+") ? CONTROLLERS : null;
            long cpu = threads.getThreadCpuTime(info.getThreadId());
            if (group != null && cpu > 0) {
                groups.merge(group, cpu / 1e9, Double::sum);
                named += cpu / 1e9;
            }
        }
        groups.put(HANDLERS, handlers);
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        groups.put(REST, os.getProcessCpuTime() / 1e9 - named - handlers);
        return groups;
    }

    /** {@code VERB resource[/subresource]} of a request path as the API server saw it; watches apart. */
    static String requestKind(String method, String path) {
        String query = path.contains("?") ? path.substring(path.indexOf('?') + 1) : "";
        String[] parts = (path.contains("?") ? path.substring(0, path.indexOf('?')) : path).split("/");
        String resource = parts.length == 0 ? "" : parts[parts.length - 1];
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].equals("namespaces") && i + 2 < parts.length) {
                resource = parts[i + 2] + (i + 4 < parts.length ? "/" + parts[i + 4] : "");
                break;
            }
        }
        return method + " " + resource + (query.contains("watch=true") ? " (watch)" : "");
    }

    public void write(Path file) throws IOException {
        Path temp = file.resolveSibling("." + file.getFileName() + ".new");
        Files.write(temp, JSON.writeValueAsBytes(this));
        Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    public static NodeApiStats read(Path file) throws IOException {
        return JSON.readValue(file.toFile(), NodeApiStats.class);
    }
}
