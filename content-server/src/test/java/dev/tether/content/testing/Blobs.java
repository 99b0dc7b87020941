package dev.tether.content.testing;

import dev.tether.content.store.Sha256;
import dev.tether.contracts.BlobDigest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Deterministic test content and its digest. */
public final class Blobs {
    private Blobs() {
    }

    public static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    public static BlobDigest digestOf(byte[] content) {
        return BlobDigest.ofSha256(Sha256.newDigest().digest(content));
    }

    /** Places a blob straight into a store or cache directory laid out as blobs/sha256/<hex>. */
    public static BlobDigest put(Path root, byte[] content) throws IOException {
        BlobDigest d = digestOf(content);
        Path dir = root.resolve("blobs/sha256");
        Files.createDirectories(dir);
        Files.write(dir.resolve(d.hex()), content);
        return d;
    }
}
