package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.nodeapi.PersistencePaths;
import dev.tether.operator.persistence.PersistenceSettings;
import dev.tether.units.ByteQuantity;
import dev.tether.units.GoDuration;
import java.time.Duration;
import java.util.List;

/** What a node's profile keeps, and how much and how often, within the operator's ceiling. */
record PersistenceLimits(List<String> paths, long maxBytes, Duration saveInterval) {
    static final Duration MIN_INTERVAL = Duration.ofMinutes(1);

    /** The profile's persistence, or 409 {@code NoPersistence} when it keeps nothing (or nothing a node may keep). */
    static PersistenceLimits of(NodeProfile profile, PersistenceSettings settings) throws Refusal {
        NodeProfileSpec.Persistence spec = profile.getSpec().persistence;
        String name = profile.getMetadata().getName();
        if (spec == null || spec.paths == null || spec.paths.isEmpty()) {
            throw new Refusal(409, "NoPersistence", "NodeProfile " + name + " keeps no paths (spec.persistence.paths);"
                    + " nothing of this node is kept across reboots");
        }
        List<String> paths;
        long maxBytes;
        Duration interval;
        try {
            paths = PersistencePaths.normalise(spec.paths);
            maxBytes = ByteQuantity.parse(spec.maxBytes == null ? "64Mi" : spec.maxBytes);
            interval = GoDuration.parse(spec.saveInterval == null ? "5m" : spec.saveInterval);
        } catch (IllegalArgumentException e) {
            throw new Refusal(409, "NoPersistence", "NodeProfile " + name + " has spec.persistence the operator cannot use: "
                    + e.getMessage());
        }
        return new PersistenceLimits(paths, Math.min(maxBytes, settings.maxBytes()),
                interval.compareTo(MIN_INTERVAL) < 0 ? MIN_INTERVAL : interval);
    }
}
