package dev.tether.image.squashfs;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Real squashfs images made by squashfs-tools, and unsquashfs's own listing of them to compare with. */
public final class Mksquashfs {
    private Mksquashfs() {
    }

    public static void assumeInstalled() {
        assumeTrue(onPath("mksquashfs") && onPath("unsquashfs"),
                "squashfs-tools (mksquashfs, unsquashfs) are not installed: apt-get install squashfs-tools");
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/usr/bin", tool));
    }

    /** Packs {@code tree} into {@code image} with {@code compressor} and any further mksquashfs options. */
    public static Path make(Path tree, Path image, String compressor, String... options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("mksquashfs", tree.toString(), image.toString(), "-comp", compressor,
                "-noappend", "-quiet", "-no-progress"));
        command.addAll(List.of(options));
        run(command);
        return image;
    }

    /** Regular files by path, with their sizes, as {@code unsquashfs -lls} lists them. */
    public static Map<String, Long> regularFiles(Path image) throws IOException, InterruptedException {
        Map<String, Long> files = new TreeMap<>();
        for (String line : run(List.of("unsquashfs", "-lls", "-d", "", image.toString())).split("\n")) {
            if (!line.startsWith("-")) {
                continue;
            }
            // -rw-r--r-- root/root   1048576 2026-12-02 02:52 /path with spaces
            String[] fields = line.split(" +", 6);
            files.put(fields[5], Long.parseLong(fields[2]));
        }
        return files;
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }
}
