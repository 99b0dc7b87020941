package dev.tether.operator.persistence;

import dev.tether.units.ByteQuantity;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the operator keeps the nodes' encrypted archives, and its bounds (the chart's {@code nodeApi.persistence}).
 *
 * @param directory      the operator's volume for archives ({@code TETHER_PERSISTENCE_DIR}); the chart mounts a
 *                       PersistentVolumeClaim there
 * @param maxBytes       the ceiling on one node's archive, whatever its profile asks ({@code TETHER_PERSISTENCE_MAX_BYTES})
 * @param maxUploads     archives received at once; more are answered 503 with {@code Retry-After}
 *                       ({@code TETHER_PERSISTENCE_MAX_UPLOADS}), so partial files never take more than
 *                       {@code maxUploads * maxBytes}
 * @param minBytesPerSecond the slowest upload kept: an upload of {@code n} bytes must end within the request timeout plus
 *                       {@code n / minBytesPerSecond} ({@code TETHER_PERSISTENCE_MIN_BYTES_PER_SECOND})
 */
public record PersistenceSettings(Path directory, long maxBytes, int maxUploads, long minBytesPerSecond) {
    public static final Path DEFAULT_DIRECTORY = Path.of("/var/lib/tether/persistence");

    public static PersistenceSettings fromEnvironment(Map<String, String> env) {
        return new PersistenceSettings(
                Path.of(env.getOrDefault("TETHER_PERSISTENCE_DIR", DEFAULT_DIRECTORY.toString())),
                ByteQuantity.parse(env.getOrDefault("TETHER_PERSISTENCE_MAX_BYTES", "1Gi")),
                Integer.parseInt(env.getOrDefault("TETHER_PERSISTENCE_MAX_UPLOADS", "8")),
                ByteQuantity.parse(env.getOrDefault("TETHER_PERSISTENCE_MIN_BYTES_PER_SECOND", "256Ki")));
    }

    public PersistenceSettings withDirectory(Path dir) {
        return new PersistenceSettings(dir, maxBytes, maxUploads, minBytesPerSecond);
    }

    public PersistenceSettings withMaxUploads(int uploads) {
        return new PersistenceSettings(directory, maxBytes, uploads, minBytesPerSecond);
    }
}
