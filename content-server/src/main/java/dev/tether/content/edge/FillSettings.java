package dev.tether.content.edge;

import java.time.Duration;
import javax.net.ssl.SSLContext;

/**
 * Bounds on a fill's fetch from one source.
 *
 * @param stallTimeout how long a source may send nothing before it is given up
 * @param peerMinBytesPerSecond the average rate a peer's answer must keep up: a peer (another edge, not trusted) that
 *     sends a little now and then, never still for the stall timeout, would otherwise hold the fill, which asks the
 *     next source only when this one ends; so a peer's answer of N bytes gets the stall timeout plus N at this rate
 * @param sslContext trust for https sources (the cluster CA), or null for the JDK's default
 */
public record FillSettings(Duration connectTimeout, Duration headerTimeout, Duration stallTimeout,
        long peerMinBytesPerSecond, SSLContext sslContext) {
    /** 1 MiB/s: a peer's 10 Gbit link shared by a hundred fills at once still gives each about twelve times that. */
    public static final long DEFAULT_PEER_MIN_BYTES_PER_SECOND = 1L << 20;

    public FillSettings {
        if (peerMinBytesPerSecond <= 0) {
            throw new IllegalArgumentException("a peer's minimum rate must be positive, not " + peerMinBytesPerSecond);
        }
    }

    public static FillSettings defaults() {
        return new FillSettings(Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(30),
                DEFAULT_PEER_MIN_BYTES_PER_SECOND, null);
    }
}
