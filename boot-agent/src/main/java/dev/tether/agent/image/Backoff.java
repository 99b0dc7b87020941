package dev.tether.agent.image;

import java.time.Duration;

/**
 * Exponential backoff: {@code initial} after the first failure, doubling with each further consecutive
 * failure, never more than {@code max}.
 */
public record Backoff(Duration initial, Duration max) {

    public Backoff {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max, not " + initial + " and " + max);
        }
    }

    /** The pause after {@code failures} consecutive failures (the first failure is 1). */
    public long delayNanos(int failures) {
        if (failures <= 0) {
            return 0;
        }
        int doublings = Math.min(failures - 1, 62);
        long initialNanos = initial.toNanos();
        long maxNanos = max.toNanos();
        if (doublings >= Long.numberOfLeadingZeros(initialNanos) - 1) {
            return maxNanos;
        }
        return Math.min(initialNanos << doublings, maxNanos);
    }
}
