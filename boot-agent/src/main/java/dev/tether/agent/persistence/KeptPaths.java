package dev.tether.agent.persistence;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The first entry of every kept-paths archive, {@code .tether/kept}: the paths the saving node kept, one per line. A
 * restore replaces exactly those of them that are still kept (a path kept only since then is left as the image has it,
 * one kept no longer is not restored), so a file deleted under a kept path stays deleted.
 */
final class KeptPaths {
    static final String ENTRY = ".tether/kept";
    /** Far more than 64 paths of 4096 characters. */
    static final int MAX_BYTES = 300 * 1024;

    private KeptPaths() {
    }

    static byte[] encode(List<String> paths) {
        return (String.join("\n", paths) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    static List<String> decode(byte[] bytes) {
        List<String> paths = new ArrayList<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isEmpty()) {
                paths.add(line);
            }
        }
        return paths;
    }
}
