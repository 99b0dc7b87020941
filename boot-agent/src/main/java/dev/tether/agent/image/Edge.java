package dev.tether.agent.image;

import dev.tether.contracts.BlobDigest;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One edge as the node sees it: where it is, how many requests are in flight to it, and whether it is set
 * aside after failures (until when, and why). Health fields are guarded by the owning {@link EdgeSet}.
 */
public final class Edge {
    private final URI base;
    private final AtomicInteger inFlight = new AtomicInteger();
    int consecutiveFailures;
    long setAsideUntilNanos;
    String lastProblem;
    /** Recent latency of successful requests (a moving average), -1 until the first; for hedging. */
    long latencyNanos = -1;

    Edge(URI base) {
        this.base = normalise(base);
    }

    /** The edge's base URL without a trailing slash. */
    public URI base() {
        return base;
    }

    /** The URL of a blob on this edge, from its hex digest. */
    public URI blob(String hex) {
        return URI.create(base + BlobDigest.PATH_PREFIX + hex);
    }

    public int inFlight() {
        return inFlight.get();
    }

    void started() {
        inFlight.incrementAndGet();
    }

    void finished() {
        inFlight.decrementAndGet();
    }

    static URI normalise(URI uri) {
        String text = uri.toString();
        while (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        return URI.create(text);
    }

    @Override
    public String toString() {
        return base.toString();
    }
}
