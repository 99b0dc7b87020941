package dev.tether.imgutil.pack;

import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.FileChunkSource;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.Manifest;
import dev.tether.image.format.RootImageReader;
import dev.tether.imgutil.UserError;
import dev.tether.imgutil.util.Console;
import dev.tether.imgutil.util.DigestingChannel;
import dev.tether.imgutil.util.ProcessRunner;
import dev.tether.imgutil.util.Progress;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code imgutil unpack}: back from the artifacts of a build to a tree. The root image's digest is
 * checked against the manifest, every chunk against its tag, and the squashfs against its digest,
 * before unsquashfs writes a single file; the tree appears under its name only when complete.
 */
public final class Unpacker {
    private final Console console;
    private final ProcessRunner runner;

    public Unpacker(Console console, ProcessRunner runner) {
        this.console = console;
        this.runner = runner;
    }

    public void unpack(Path outDir, Path target, Path keyFile, Path scratchDir) {
        Manifest manifest = readManifest(outDir);
        Path rootImage = outDir.resolve(manifest.rootImage().file());
        ImageKey key = manifest.encryption().encrypted() ? requireKey(keyFile) : null;
        checkTarget(target);
        try {
            console.info("checking " + rootImage);
            String actual = ContentDigest.ofFile(rootImage);
            if (!actual.equals(manifest.rootImage().digest())) {
                throw new UserError(rootImage + " has digest " + actual + " but the manifest says "
                        + manifest.rootImage().digest() + "; the output directory is damaged");
            }
            Path scratch = Files.createTempDirectory(Files.createDirectories(scratchDir), "imgutil-unpack-");
            try {
                Path squashfs = scratch.resolve("root.squashfs");
                open(rootImage, key, squashfs, manifest);
                Path partial = target.resolveSibling("." + target.getFileName() + ".partial");
                runner.run("removing an old partial tree", List.of("rm", "-rf", "--one-file-system", partial.toString()));
                runner.run("unsquashfs", List.of("unsquashfs", "-no-progress", "-d", partial.toString(), squashfs.toString()));
                Files.deleteIfExists(target);
                Files.move(partial, target);
            } finally {
                runner.run("removing the scratch directory", List.of("rm", "-rf", "--one-file-system", scratch.toString()));
            }
        } catch (IOException e) {
            throw new UserError("unpack failed: " + e.getMessage(), e);
        }
        console.info("unpacked " + outDir + " into " + target);
    }

    private void open(Path rootImage, ImageKey key, Path squashfs, Manifest manifest) throws IOException {
        try (RootImageReader reader = RootImageReader.open(FileChunkSource.open(rootImage), key);
             DigestingChannel out = new DigestingChannel(FileChannel.open(squashfs, StandardOpenOption.CREATE_NEW,
                     StandardOpenOption.WRITE))) {
            Progress progress = console.progress("opening the root image", reader.size());
            for (long index = 0; index < reader.header().chunkCount(); index++) {
                var chunk = reader.readChunk(index);
                progress.advance(chunk.remaining());
                while (chunk.hasRemaining()) {
                    out.write(chunk);
                }
            }
            progress.finish();
            if (manifest.squashfs() != null && !out.digest().equals(manifest.squashfs().digest())) {
                throw new UserError("the opened squashfs does not match the manifest's digest; the build is inconsistent");
            }
        }
    }

    static Manifest readManifest(Path outDir) {
        Path file = outDir.resolve(Manifest.FILE_NAME);
        if (!Files.isDirectory(outDir)) {
            throw new UserError(outDir + " is not a directory (unpack wants the output directory of imgutil pack)");
        }
        if (!Files.isRegularFile(file)) {
            throw new UserError(outDir + " has no " + Manifest.FILE_NAME + " (not a complete imgutil pack output)");
        }
        try {
            return Manifest.read(file);
        } catch (IOException e) {
            throw new UserError(file + ": " + e.getMessage());
        }
    }

    private static ImageKey requireKey(Path keyFile) {
        if (keyFile == null) {
            throw new UserError("the root image is encrypted; give its key with --key-file FILE");
        }
        if (!Files.isRegularFile(keyFile)) {
            throw new UserError("key file " + keyFile + " does not exist");
        }
        return KeyFile.read(keyFile);
    }

    private static void checkTarget(Path target) {
        if (Files.exists(target)) {
            boolean empty;
            try (Stream<Path> entries = Files.isDirectory(target) ? Files.list(target) : null) {
                empty = entries != null && entries.findAny().isEmpty();
            } catch (IOException e) {
                throw new UserError("cannot read " + target + ": " + e.getMessage());
            }
            if (!empty) {
                throw new UserError(target + " already exists and is not an empty directory");
            }
        }
    }
}
