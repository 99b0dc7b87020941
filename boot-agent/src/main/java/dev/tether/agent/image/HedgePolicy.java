package dev.tether.agent.image;

import java.time.Duration;
import java.util.Arrays;

/**
 * When to send a second copy of a slow request to another edge: after the 95th percentile of recent
 * successful latencies, so about one request in twenty is hedged while the edges are healthy, and a
 * stalled edge costs a reader no more than that delay. Bounded below (to keep a burst of fast requests
 * from hedging everything) and above (so a stall is always raced); a fixed start value until enough
 * samples exist.
 *
 * <p>Every hedge is paid for from a budget: each request earns a fraction of a hedge ({@code budget}, e.g.
 * 0.1), up to a small reserve, and a hedge spends a whole one. So over any run of n requests at most
 * {@code reserve + budget * n} are hedged: when every edge is slow (a storm, or the delay at its upper bound),
 * hedging adds a tenth to the load instead of doubling it.
 */
public final class HedgePolicy {
    static final int WINDOW = 128;
    static final int MIN_SAMPLES = 16;
    /** Hedges that may be spent at once before requests have earned more: the first slow requests of a boot. */
    static final double RESERVE = 4;

    private final long initialNanos;
    private final long minNanos;
    private final long maxNanos;
    private final long[] samples = new long[WINDOW];
    private int count;
    private int next;
    private long cachedDelay;
    private boolean stale = true;
    private final double budget;
    private double tokens = RESERVE;

    /** @param budget the share of requests that may be hedged, 0 to 1 */
    public HedgePolicy(Duration initial, Duration min, Duration max, double budget) {
        if (!(budget >= 0 && budget <= 1)) {
            throw new IllegalArgumentException("the hedge budget is a share of requests, 0 to 1: " + budget);
        }
        this.initialNanos = initial.toNanos();
        this.minNanos = min.toNanos();
        this.maxNanos = max.toNanos();
        this.budget = budget;
    }

    /** A request was sent (hedges included): it earns its share of a hedge. */
    public synchronized void requested() {
        tokens = Math.min(RESERVE, tokens + budget);
    }

    /** Spends a hedge from the budget; false when it is spent. */
    public synchronized boolean spend() {
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }

    /** Records how long one successful request took. */
    public synchronized void record(long nanos) {
        samples[next] = nanos;
        next = (next + 1) % WINDOW;
        count = Math.min(count + 1, WINDOW);
        stale = true;
    }

    /** How long to wait for the first answer before asking another edge. */
    public synchronized long delayNanos() {
        if (count < MIN_SAMPLES) {
            return initialNanos;
        }
        if (stale) {
            long[] sorted = Arrays.copyOf(samples, count);
            Arrays.sort(sorted);
            long p95 = sorted[Math.min(count - 1, (int) Math.ceil(count * 0.95) - 1)];
            cachedDelay = Math.clamp(p95, minNanos, maxNanos);
            stale = false;
        }
        return cachedDelay;
    }

    /** Whether a request that has waited {@code elapsedNanos} without an answer should be hedged. */
    public boolean shouldHedge(long elapsedNanos) {
        return elapsedNanos >= delayNanos();
    }
}
