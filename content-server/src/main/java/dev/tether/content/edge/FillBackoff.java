package dev.tether.content.edge;

import dev.tether.contracts.BlobDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Fills that failed, per digest, and when the next one may start. Without it every request for a
 * blob that no source has intact would fetch it again, so a broken origin (or a stranger asking for
 * made-up digests) would turn each GET into an origin fetch. The wait doubles with each failure up
 * to {@link #MAX}; the record is forgotten when a fill succeeds. At most {@link #MAX_TRACKED}
 * digests are remembered, the oldest failure forgotten first, so made-up digests cannot grow memory.
 */
final class FillBackoff {
    static final Duration FIRST = Duration.ofSeconds(2);
    static final Duration MAX = Duration.ofMinutes(2);
    static final int MAX_TRACKED = 4096;

    private record Failure(int count, Instant retryAt, String reason) {
    }

    private final InstantSource clock;
    private final Map<BlobDigest, Failure> failures = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<BlobDigest, Failure> eldest) {
            return size() > MAX_TRACKED;
        }
    };

    FillBackoff(InstantSource clock) {
        this.clock = clock;
    }

    synchronized void failed(BlobDigest digest, String reason) {
        Failure last = failures.remove(digest);
        int count = last == null ? 1 : last.count + 1;
        Duration wait = FIRST.multipliedBy(1L << Math.min(count - 1, 20));
        if (wait.compareTo(MAX) > 0) {
            wait = MAX;
        }
        failures.put(digest, new Failure(count, clock.instant().plus(wait), reason));
    }

    synchronized void succeeded(BlobDigest digest) {
        failures.remove(digest);
    }

    /** Null when a fill of {@code digest} may start now; else the answer to give meanwhile. */
    synchronized BlobUnavailable holdBack(BlobDigest digest) {
        Failure f = failures.get(digest);
        if (f == null) {
            return null;
        }
        Duration left = Duration.between(clock.instant(), f.retryAt);
        if (left.isNegative() || left.isZero()) {
            return null;
        }
        long seconds = Math.max(1, (left.toMillis() + 999) / 1000);
        return new BlobUnavailable(BlobUnavailable.Reason.HELD_BACK, "the last " + (f.count == 1 ? "fill" : f.count + " fills")
                + " of " + digest + " failed (" + f.reason + "); this edge asks its sources again in " + seconds + " s", seconds);
    }
}
