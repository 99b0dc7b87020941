package dev.tether.agent.image;

import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.ImageOptions;
import dev.tether.image.format.RootImageWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * A real root image for the tests, built once per test JVM: a generated tree, its squashfs (mksquashfs),
 * and the encrypted container of that squashfs, as imgutil would pack it.
 */
final class TestImage {
    static final int CHUNK_SIZE = 256 * 1024;
    private static TestImage shared;

    final Path dir;
    final Path tree;
    final Path squashfs;
    final Path container;
    final ImageKey key;
    final ImageHeader header;
    final String digest;

    private TestImage(Path dir, Path tree, Path squashfs, Path container, ImageKey key, ImageHeader header, String digest) {
        this.dir = dir;
        this.tree = tree;
        this.squashfs = squashfs;
        this.container = container;
        this.key = key;
        this.header = header;
        this.digest = digest;
    }

    static synchronized TestImage shared() throws IOException, InterruptedException {
        if (shared == null) {
            Path dir = Files.createTempDirectory("tether-agent-image-");
            shared = build(dir, 300, CHUNK_SIZE);
        }
        return shared;
    }

    static TestImage build(Path dir, int files, int chunkSize) throws IOException, InterruptedException {
        Path tree = dir.resolve("tree");
        SourceTree.generate(tree, 42, files, chunkSize);
        return pack(dir, tree, chunkSize);
    }

    /** Packs {@code tree} into a squashfs and that into an encrypted container, both in {@code dir}. */
    static TestImage pack(Path dir, Path tree, int chunkSize) throws IOException, InterruptedException {
        Path squashfs = dir.resolve("root.sfs");
        Process mksquashfs = new ProcessBuilder("mksquashfs", tree.toString(), squashfs.toString(), "-noappend",
                "-no-progress", "-quiet", "-processors", "2").inheritIO().start();
        if (!mksquashfs.waitFor(120, TimeUnit.SECONDS) || mksquashfs.exitValue() != 0) {
            throw new IOException("mksquashfs failed for " + tree);
        }
        ImageKey key = ImageKey.generate(new SecureRandom());
        Path container = dir.resolve("root.img");
        ImageHeader header = RootImageWriter.writeFile(squashfs, container, ImageOptions.encrypted(key).withChunkSize(chunkSize));
        return new TestImage(dir, tree, squashfs, container, key, header, ContentDigest.ofFile(container));
    }

    String keyHex() {
        return HexFormat.of().formatHex(key.bytes());
    }
}
