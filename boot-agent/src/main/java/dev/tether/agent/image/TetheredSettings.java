package dev.tether.agent.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How a tethered root image is read.
 *
 * @param cacheBytes      bound of the decrypted chunk cache
 * @param readAheadBytes  most bytes of chunks fetched ahead of a sequential reader (0 turns read-ahead off); in bytes,
 *                        not chunks, so that an image packed with smaller chunks is read as far ahead
 * @param fetch           timeouts, hedging, backoff and the console
 */
public record TetheredSettings(long cacheBytes, long readAheadBytes, FetchSettings fetch) {
    static final long DEFAULT_READ_AHEAD = 4L << 20;
    static final long MIN_CACHE = 8L << 20;
    static final long MAX_CACHE = 256L << 20;
    /**
     * The cache gets a fifth of the direct memory bound. The rest is for the chunks in flight (up to half the
     * cache's worth of read-ahead plus one per FUSE thread, each with its sealed copy) and for evicted chunks that
     * a FUSE thread still copies from: running out of direct memory would fail a read of the root.
     */
    static final int DIRECT_SHARE = 5;

    public TetheredSettings {
        if (cacheBytes <= 0 || readAheadBytes < 0) {
            throw new IllegalArgumentException("cache size must be positive and read-ahead not negative");
        }
    }

    /**
     * Up to 4 MiB of read-ahead, and a cache of a fifth of the JVM's direct memory bound (the launcher's
     * {@code -XX:MaxDirectMemorySize}, which a profile raises with {@code tether.jvm=}); without a bound of its
     * own, 1/32 of RAM. Either way 8 to 256 MiB.
     */
    public static TetheredSettings defaults() {
        return defaults(DirectMemoryLimit.ofThisJvm(), physicalMemory());
    }

    /** This JVM's {@code -XX:MaxDirectMemorySize}, when it was given one. */
    public static java.util.OptionalLong directMemoryLimit() {
        return DirectMemoryLimit.ofThisJvm();
    }

    static TetheredSettings defaults(java.util.OptionalLong directLimit, long ram) {
        long cache = directLimit.isPresent() ? Math.clamp(directLimit.getAsLong() / DIRECT_SHARE, MIN_CACHE, MAX_CACHE)
                : ram > 0 ? Math.clamp(ram / 32, MIN_CACHE, MAX_CACHE) : 64L << 20;
        return new TetheredSettings(cache, DEFAULT_READ_AHEAD, FetchSettings.defaults());
    }

    public TetheredSettings withCacheBytes(long bytes) {
        return new TetheredSettings(bytes, readAheadBytes, fetch);
    }

    public TetheredSettings withReadAheadBytes(long bytes) {
        return new TetheredSettings(cacheBytes, bytes, fetch);
    }

    public TetheredSettings withFetch(FetchSettings settings) {
        return new TetheredSettings(cacheBytes, readAheadBytes, settings);
    }

    /** MemTotal from /proc/meminfo in bytes, or -1 when it cannot be read. */
    static long physicalMemory() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/meminfo"));
            for (String line : lines) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
