package dev.tether.imgutil.pack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.image.format.Manifest;
import dev.tether.imgutil.UserError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The one-line JSON result a builder Job leaves in {@code --result-file} (the operator points it at
 * {@code /dev/termination-log}); its shape is fixed in docs/contracts.md. Kept below 4 KiB so it fits a
 * Kubernetes termination message.
 */
public final class BuilderResult {
    static final int MAX_BYTES = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();

    private BuilderResult() {
    }

    public static String success(PackResult result, long buildSeconds) {
        return success(result, buildSeconds, null);
    }

    /** @param sourceDigest the manifest digest of the OCI image the tree came from, or {@code null} */
    public static String success(PackResult result, long buildSeconds, String sourceDigest) {
        Manifest manifest = result.manifest();
        ObjectNode line = JSON.createObjectNode()
                .put("digest", result.digest())
                .put("kernelVersion", manifest.kernelVersion())
                .put("rootImageBytes", manifest.rootImage().size())
                .put("squashfsBytes", manifest.squashfs().size())
                .put("kernelDigest", manifest.kernel().digest())
                .put("initramfsDigest", manifest.initramfs().digest())
                .put("rootImageDigest", manifest.rootImage().digest())
                .put("encrypted", manifest.encryption().encrypted());
        if (manifest.encryption().keyId() != null) {
            line.put("keyId", manifest.encryption().keyId());
        }
        if (result.bootOrderFiles() > 0) {
            // The operator re-packs an image once a boot order arrives, unless its build already used one.
            line.put("bootOrderFiles", result.bootOrderFiles());
        }
        if (sourceDigest != null) {
            line.put("sourceDigest", sourceDigest);
        }
        return line.put("buildSeconds", buildSeconds).toString();
    }

    public static String failure(String message) {
        String oneLine = message == null ? "unknown error" : message.replaceAll("[\\r\\n]+", " ");
        String line = JSON.createObjectNode().put("error", oneLine).toString();
        while (line.getBytes(StandardCharsets.UTF_8).length >= MAX_BYTES) {
            oneLine = oneLine.substring(0, oneLine.length() * 3 / 4) + "...";
            line = JSON.createObjectNode().put("error", oneLine).toString();
        }
        return line;
    }

    /**
     * Writes the line in place (not by rename: {@code /dev/termination-log} is a mounted file).
     */
    public static void write(Path file, String line) {
        try {
            Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UserError("cannot write the result file " + file + ": " + e.getMessage());
        }
    }
}
