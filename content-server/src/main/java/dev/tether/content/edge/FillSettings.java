package dev.tether.content.edge;

import java.time.Duration;
import javax.net.ssl.SSLContext;

/**
 * Bounds on a fill's fetch from one source.
 *
 * @param sslContext trust for https sources (the cluster CA), or null for the JDK's default
 */
public record FillSettings(Duration connectTimeout, Duration headerTimeout, Duration stallTimeout, SSLContext sslContext) {

    public static FillSettings defaults() {
        return new FillSettings(Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(30), null);
    }
}
