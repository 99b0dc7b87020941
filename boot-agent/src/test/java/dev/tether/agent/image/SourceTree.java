package dev.tether.agent.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * A generated directory tree to pack into a squashfs: a few hundred files in nested directories, random
 * (incompressible) and repetitive (compressible) contents, with sizes on and around the boundaries that
 * matter (page, squashfs block, container chunk), and an {@code etc/os-release}.
 */
final class SourceTree {
    private SourceTree() {
    }

    static void generate(Path root, long seed, int files, int chunkSize) throws IOException {
        Random random = new Random(seed);
        int[] boundaries = {0, 1, 4095, 4096, 4097, 131071, 131072, 131073, chunkSize - 1, chunkSize, chunkSize + 1,
                3 * chunkSize + 7, 1 << 20, (1 << 20) + 1, 3 << 20};
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/os-release"), "PRETTY_NAME=\"Tether test image\"\nID=tether-test\n");
        for (int i = 0; i < files; i++) {
            Path dir = root.resolve("d" + (i % 7)).resolve("s" + (i % 5));
            Files.createDirectories(dir);
            int size;
            if (i < boundaries.length) {
                size = boundaries[i];
            } else if (i % 40 == 0) {
                size = (1 << 20) + random.nextInt(1 << 20);
            } else if (i % 5 == 0) {
                size = 16384 + random.nextInt(300_000);
            } else {
                size = random.nextInt(12_000);
            }
            byte[] content = new byte[size];
            if (i % 3 == 0) {
                byte[] line = ("line of file " + i + " repeated to compress well\n").getBytes(StandardCharsets.US_ASCII);
                for (int p = 0; p < size; p++) {
                    content[p] = line[p % line.length];
                }
            } else {
                random.nextBytes(content);
            }
            Files.write(dir.resolve("f" + i + ".bin"), content);
        }
    }

    /** Regular files under {@code root}, relative, sorted. */
    static List<Path> files(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            List<Path> out = new ArrayList<>();
            walk.filter(Files::isRegularFile).map(root::relativize).sorted().forEach(out::add);
            return out;
        }
    }
}
