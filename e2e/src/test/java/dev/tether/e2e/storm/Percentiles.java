package dev.tether.e2e.storm;

import java.util.Arrays;

/**
 * p50, p95, p99 and the maximum of a set of durations in milliseconds, by the nearest-rank method: each figure is one of
 * the samples (no interpolation), so a p99 of 50 nodes is the 50th slowest, i.e. the maximum, as it should be.
 */
public record Percentiles(int count, long p50, long p95, long p99, long max) {
    public static final Percentiles NONE = new Percentiles(0, 0, 0, 0, 0);

    public static Percentiles of(long[] samples) {
        if (samples.length == 0) {
            return NONE;
        }
        long[] sorted = samples.clone();
        Arrays.sort(sorted);
        return new Percentiles(sorted.length, rank(sorted, 50), rank(sorted, 95), rank(sorted, 99), sorted[sorted.length - 1]);
    }

    /** The smallest sample with at least {@code percent}% of the samples at or below it. */
    static long rank(long[] sorted, int percent) {
        int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
