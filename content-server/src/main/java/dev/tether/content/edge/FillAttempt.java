package dev.tether.content.edge;

import dev.tether.content.store.Sha256;
import dev.tether.contracts.BlobDigest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * One source's bytes for a fill, written to a temporary file and hashed as they come. Readers may
 * read any byte below {@link #written()} at once: it only grows after the write returned.
 */
final class FillAttempt {
    final int number;
    final FillSource source;
    final Path path;
    final long size;
    private final FileChannel out;
    private final MessageDigest sha = Sha256.newDigest();
    private volatile long written;
    private volatile boolean discarded;

    FillAttempt(int number, FillSource source, Path path, long size) throws IOException {
        this.number = number;
        this.source = source;
        this.path = path;
        this.size = size;
        this.out = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    long written() {
        return written;
    }

    boolean discarded() {
        return discarded;
    }

    void write(ByteBuffer data) throws IOException {
        int n = data.remaining();
        if (written + n > size) {
            throw new IOException(source + " sent more than the " + size + " bytes it announced");
        }
        sha.update(data.duplicate());
        while (data.hasRemaining()) {
            out.write(data);
        }
        written += n;
    }

    /** Checks length and digest; on success the file is complete, on disk and closed, ready to be renamed. */
    void verify(BlobDigest expected) throws IOException {
        if (written != size) {
            throw new IOException(source + " ended after " + written + " of " + size + " bytes");
        }
        BlobDigest actual = BlobDigest.ofSha256(sha.digest());
        if (!actual.equals(expected)) {
            throw new DigestMismatch(source + " sent bytes whose digest is " + actual + ", not " + expected);
        }
        out.force(true);
        out.close();
    }

    void discard() {
        discarded = true;
        try {
            out.close();
        } catch (IOException ignored) {
            // deleted next either way
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // the temp directory is emptied at the next start
        }
    }

    static final class DigestMismatch extends IOException {
        DigestMismatch(String message) {
            super(message);
        }
    }
}
