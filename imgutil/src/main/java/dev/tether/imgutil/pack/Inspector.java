package dev.tether.imgutil.pack;

import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.FileChunkSource;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.Manifest;
import dev.tether.image.format.RootImageReader;
import dev.tether.imgutil.UserError;
import dev.tether.imgutil.util.Console;
import dev.tether.imgutil.util.Progress;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code imgutil inspect}: what a root image container says about itself, and whether every chunk is
 * intact: always for an unencrypted image, and for an encrypted one when its key is given. Given a pack
 * output directory, it inspects its root image and checks it against the manifest.
 */
public final class Inspector {
    private final Console console;
    private final PrintStream out;

    public Inspector(Console console, PrintStream out) {
        this.console = console;
        this.out = out;
    }

    public void inspect(Path target, ImageKey key) {
        if (!Files.exists(target)) {
            throw new UserError(target + " does not exist");
        }
        Manifest manifest = Files.isDirectory(target) ? Unpacker.readManifest(target) : null;
        Path file = manifest == null ? target : target.resolve(manifest.rootImage().file());
        try {
            String digest = ContentDigest.ofFile(file);
            ImageHeader header;
            try (FileChunkSource source = FileChunkSource.open(file)) {
                header = RootImageReader.readHeader(source);
            }
            print("file", file.toString());
            print("digest", digest);
            print("format", "TETHRIMG version " + header.version());
            print("cipher", header.cipher().displayName());
            if (header.cipher().encrypted()) {
                print("key id", header.keyIdHex());
            }
            print("chunk size", header.chunkSize() + " bytes");
            print("chunks", Long.toString(header.chunkCount()));
            print("plaintext", header.plaintextSize() + " bytes");
            print("container", Files.size(file) + " bytes (header says " + header.containerSize() + ")");
            if (manifest != null) {
                boolean matches = digest.equals(manifest.rootImage().digest());
                print("manifest", matches ? "digest matches" : "DIGEST MISMATCH: manifest says " + manifest.rootImage().digest());
                if (!matches) {
                    throw new UserError(file + " does not match its manifest");
                }
            }
            if (header.cipher().encrypted() && key == null) {
                print("chunks checked", "no (encrypted; give --key-file to check every chunk)");
                return;
            }
            try (RootImageReader reader = RootImageReader.open(FileChunkSource.open(file), key)) {
                Progress progress = console.progress("checking every chunk", reader.size());
                for (long index = 0; index < header.chunkCount(); index++) {
                    progress.advance(reader.readChunk(index).remaining());
                }
                progress.finish();
            }
            print("chunks checked", "all " + header.chunkCount() + " intact");
        } catch (IOException e) {
            throw new UserError(file + ": " + e.getMessage());
        }
    }

    private void print(String label, String value) {
        out.printf("%-15s %s%n", label + ":", value);
    }
}
