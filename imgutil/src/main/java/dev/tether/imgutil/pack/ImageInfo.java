package dev.tether.imgutil.pack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** What the manifest says the image is: distribution, release and architecture. */
public record ImageInfo(String distribution, String release, String architecture) {

    /** Fills what the caller did not say from the tree's os-release and the host's architecture. */
    public static ImageInfo of(Path root, String distribution, String release, String architecture) {
        Map<String, String> osRelease = osRelease(root);
        return new ImageInfo(
                distribution != null ? distribution : osRelease.getOrDefault("ID", "unknown"),
                release != null ? release : osRelease.getOrDefault("VERSION_CODENAME",
                        osRelease.getOrDefault("VERSION_ID", "unknown")),
                architecture != null ? architecture : hostArchitecture());
    }

    public static Map<String, String> osRelease(Path root) {
        Map<String, String> values = new HashMap<>();
        for (String candidate : new String[] {"etc/os-release", "usr/lib/os-release"}) {
            Path file = root.resolve(candidate);
            if (Files.isRegularFile(file)) {
                try {
                    for (String line : Files.readAllLines(file)) {
                        int equals = line.indexOf('=');
                        if (equals > 0 && !line.startsWith("#")) {
                            values.put(line.substring(0, equals), line.substring(equals + 1).replaceAll("^\"|\"$", ""));
                        }
                    }
                } catch (IOException e) {
                    return values;
                }
                break;
            }
        }
        return values;
    }

    /** Debian's name for the architecture this JVM runs on. */
    static String hostArchitecture() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            case "ppc64le" -> "ppc64el";
            default -> System.getProperty("os.arch");
        };
    }
}
