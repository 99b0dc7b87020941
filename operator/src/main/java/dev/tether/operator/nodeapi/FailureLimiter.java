package dev.tether.operator.nodeapi;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Budgets of refused requests, one per node and one per client address: each refusal spends one, and a budget
 * refills completely within the window. Only refusals spend: a node that boots correctly never runs out, however
 * often it boots.
 *
 * <p>A spent budget changes how a failure is answered (429 with Retry-After, no event), never whether a right key
 * is accepted: {@link NodeApiService} checks the key first, so strangers who spend a node's budget, or share its
 * edge, cannot lock it out. Keys are 256-bit random, so letting them be tried does not make guessing feasible; the
 * budgets bound what failures cost (events, log lines). The client address is the node's own when it came
 * through a trusted edge ({@link ProxyProtocolGate}), not the edge's.
 */
final class FailureLimiter {
    /** Buckets kept at most; beyond this the full ones (nothing to remember) are dropped. */
    private static final int MAX_TRACKED = 50_000;
    /** A profile's discovery budget, in source budgets: a whole rack registering at once passes; a flood does not. */
    static final int DISCOVERY_PROFILE_FACTOR = 20;

    private final int perNode;
    private final int perSource;
    private final Duration window;
    private final Clock clock;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    FailureLimiter(int perNode, int perSource, Duration window, Clock clock) {
        this.perNode = perNode;
        this.perSource = perSource;
        this.window = window;
        this.clock = clock;
    }

    /** Seconds until a request for {@code node} from {@code source} may be tried again; 0 if it may now. */
    long retryAfterSeconds(String node, String source) {
        long now = clock.millis();
        return Math.max(wait(bucket("node:" + node, perNode), now), wait(bucket("source:" + source, perSource), now));
    }

    /** Whether the node's budget (when there is a node) or the source's is spent already. */
    boolean spent(String node, String source) {
        long now = clock.millis();
        return node != null && wait(bucket("node:" + node, perNode), now) > 0
                || wait(bucket("source:" + source, perSource), now) > 0;
    }

    /** A request answered 429 spends its client's budget again, so a client that keeps failing stays slowed down. */
    void refusedAgain(String source) {
        bucket("source:" + source, perSource).spend(clock.millis());
    }

    /** Spends one from each budget; true when this spent the last of one of them (worth telling an administrator). */
    boolean refused(String node, String source) {
        long now = clock.millis();
        boolean exhausted = node != null && bucket("node:" + node, perNode).spend(now);
        exhausted |= bucket("source:" + source, perSource).spend(now);
        forgetFullBuckets();
        return exhausted;
    }

    /**
     * Whether an event about a refusal for a node that has no credential may be written in {@code namespace}: as many
     * per window as one client may be refused. Made-up names and client addresses come without end, and each event
     * is a write to the API server; refusals about real credentials are bounded by the node budget already.
     */
    boolean mayRecordUnknownNode(String namespace) {
        return bucket("unknown-node-events:" + namespace, perSource).take(clock.millis());
    }

    /**
     * Whether a discovery registration from {@code source} for {@code profile} may be looked at now. Unlike the other
     * budgets, every registration spends, since each one may write to the API server: a source gets as many per
     * window as it may be refused, and a profile {@value #DISCOVERY_PROFILE_FACTOR} times that from all sources.
     */
    boolean admitDiscovery(String source, String profile) {
        long now = clock.millis();
        boolean admitted = bucket("discovery-source:" + source, perSource).take(now)
                && bucket("discovery-profile:" + profile, perSource * DISCOVERY_PROFILE_FACTOR).take(now);
        forgetFullBuckets();
        return admitted;
    }

    /** Made-up sources come without end: beyond {@link #MAX_TRACKED} buckets, the full ones (nothing to remember) go. */
    private void forgetFullBuckets() {
        if (buckets.size() > MAX_TRACKED) {
            buckets.values().removeIf(b -> b.full(clock.millis()));
        }
    }

    /** Seconds until {@code source} may register again. */
    long discoveryRetryAfterSeconds(String source, String profile) {
        long now = clock.millis();
        return Math.max(1, Math.max(wait(bucket("discovery-source:" + source, perSource), now),
                wait(bucket("discovery-profile:" + profile, perSource * DISCOVERY_PROFILE_FACTOR), now)));
    }

    private long wait(Bucket bucket, long now) {
        return bucket.secondsUntilOne(now);
    }

    private Bucket bucket(String key, int capacity) {
        return buckets.computeIfAbsent(key, k -> new Bucket(capacity, window.toMillis()));
    }

    private static final class Bucket {
        private final int capacity;
        private final double perMilli;
        private double tokens;
        private long updated;

        Bucket(int capacity, long windowMillis) {
            this.capacity = capacity;
            this.perMilli = (double) capacity / Math.max(1, windowMillis);
            this.tokens = capacity;
        }

        /** True when this took the budget below one. */
        synchronized boolean spend(long now) {
            refill(now);
            boolean had = tokens >= 1;
            tokens = Math.max(0, tokens - 1);
            return had && tokens < 1;
        }

        /** Takes one if there is one. */
        synchronized boolean take(long now) {
            refill(now);
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }

        synchronized long secondsUntilOne(long now) {
            refill(now);
            return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / perMilli / 1000.0);
        }

        synchronized boolean full(long now) {
            refill(now);
            return tokens >= capacity;
        }

        private void refill(long now) {
            if (updated != 0) {
                tokens = Math.min(capacity, tokens + (now - updated) * perMilli);
            }
            updated = now;
        }
    }
}
