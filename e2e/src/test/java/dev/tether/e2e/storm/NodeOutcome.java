package dev.tether.e2e.storm;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one simulated node's boot came to: power-on to the trace's last root read answered, each request's latency
 * by kind, and the response bytes it received; or the error that stopped it.
 */
public final class NodeOutcome {
    /** The rows the root phase adds to the latency table. */
    static final String ROOT_IMAGE = "root image (mount to last read)";
    static final String ROOT_READS = "root image reads waited";

    private final int index;
    private final long start = System.nanoTime();
    private final Map<String, Long> latencies = new LinkedHashMap<>();
    private long bytes;
    private long timeToRootMillis = -1;
    private long[] fetch = new long[3];
    private String error;

    NodeOutcome(int index) {
        this.index = index;
    }

    /** Something the node asked for, timed under {@code kind}. */
    @FunctionalInterface
    interface Step<T> {
        T run() throws Exception;
    }

    <T> T timed(String kind, Step<T> step) throws Exception {
        long t0 = System.nanoTime();
        T value = step.run();
        latencies.put(kind, (System.nanoTime() - t0) / 1_000_000);
        return value;
    }

    /** The root phase: mount to the trace's last read answered, and the part of it spent waiting for reads. */
    void rootReplayed(long mountNanos, TraceReader.Replayed replayed) {
        latencies.put(ROOT_IMAGE, (System.nanoTime() - mountNanos) / 1_000_000);
        latencies.put(ROOT_READS, replayed.readMillis());
    }

    void received(long count) {
        bytes += count;
    }

    /** The reader's range requests, hedges among them, and requests that failed. */
    void fetched(long requests, long hedges, long edgeFailures) {
        fetch = new long[] {requests, hedges, edgeFailures};
    }

    long[] fetch() {
        return fetch;
    }

    void rootReached() {
        timeToRootMillis = (System.nanoTime() - start) / 1_000_000;
    }

    NodeOutcome failed(Throwable e) {
        String message = e.getMessage() == null ? "" : e.getMessage().strip().split("\\R", 2)[0];
        error = StormCluster.nodeName(index) + ": " + e.getClass().getSimpleName() + " " + message;
        return this;
    }

    public boolean booted() {
        return error == null && timeToRootMillis >= 0;
    }

    public long timeToRootMillis() {
        return timeToRootMillis;
    }

    public Map<String, Long> latencies() {
        return latencies;
    }

    public long bytes() {
        return bytes;
    }

    public String error() {
        return error;
    }

    /** Milliseconds since this node powered on. */
    long sincePowerOn() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    long startNanos() {
        return start;
    }
}
