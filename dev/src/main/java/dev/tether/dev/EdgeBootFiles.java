package dev.tether.dev;

import dev.tether.operator.profile.BootConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;

/**
 * The kubelet's part for an edge's mounted boot ConfigMap, where there is no kubelet (tether-dev, the storm benchmark):
 * the ConfigMap's files written into the edge's boot directory as an edge expects them to change.
 */
public final class EdgeBootFiles {
    private EdgeBootFiles() {}

    /** The binary files first, {@code boot.json} last and by rename: the edge reloads when boot.json changes. */
    public static void write(Path dir, ConfigMap boot) throws IOException {
        Files.createDirectories(dir);
        if (boot.getBinaryData() != null) {
            for (var binary : boot.getBinaryData().entrySet()) {
                replace(dir.resolve(binary.getKey()), Base64.getDecoder().decode(binary.getValue()));
            }
        }
        replace(dir.resolve(BootConfigMap.BOOT_JSON), boot.getData().get(BootConfigMap.BOOT_JSON).getBytes(StandardCharsets.UTF_8));
    }

    /** Replaces {@code file} whole, so that a reader sees the old content or the new, never a part. */
    public static void replace(Path file, byte[] content) throws IOException {
        Path temp = file.resolveSibling("." + file.getFileName() + ".new");
        Files.write(temp, content);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
