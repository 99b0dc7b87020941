package dev.tether.content.store;

import dev.tether.contracts.BlobDigest;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * One upload in progress: bytes go to a temporary file and through SHA-256 as they arrive; only
 * {@link #commit()} with a matching digest makes them visible under the digest's name.
 */
public final class Upload {
    private final BlobStore store;
    private final BlobDigest claimed;
    private final long declaredLength;
    private final Path temp;
    private final FileChannel out;
    private final MessageDigest sha = Sha256.newDigest();
    private long received;
    private boolean finished;

    Upload(BlobStore store, BlobDigest claimed, long declaredLength, Path temp) throws IOException {
        this.store = store;
        this.claimed = claimed;
        this.declaredLength = declaredLength;
        this.temp = temp;
        this.out = FileChannel.open(temp, StandardOpenOption.WRITE);
    }

    public long received() {
        return received;
    }

    public long declaredLength() {
        return declaredLength;
    }

    /** Appends a body chunk. Refuses bytes beyond the declared length rather than storing them. */
    public void write(ByteBuf chunk) throws IOException {
        int n = chunk.readableBytes();
        if (received + n > declaredLength) {
            throw new UploadRejected("the body is longer than its Content-Length of " + declaredLength + " bytes");
        }
        for (ByteBuffer b : chunk.nioBuffers(chunk.readerIndex(), n)) {
            sha.update(b.duplicate());
            while (b.hasRemaining()) {
                out.write(b);
            }
        }
        received += n;
    }

    /**
     * Verifies and publishes the upload. Blocks on fsync, so callers run it off the event loop.
     *
     * @throws UploadRejected when the length or digest does not match; nothing is then visible
     */
    public void commit() throws IOException {
        commit(() -> { });
    }

    /** Something done once the bytes are verified and before they become visible. */
    @FunctionalInterface
    public interface BeforeVisible {
        void run() throws IOException;
    }

    /**
     * {@link #commit()}, running {@code beforeVisible} after the digest matched and before the blob becomes visible; if
     * it throws, nothing is visible.
     */
    public void commit(BeforeVisible beforeVisible) throws IOException {
        try {
            if (received != declaredLength) {
                throw new UploadRejected("received " + received + " of the " + declaredLength
                        + " bytes declared by Content-Length");
            }
            BlobDigest actual = BlobDigest.ofSha256(sha.digest());
            if (!actual.equals(claimed)) {
                throw new UploadRejected("digest mismatch: the body's digest is " + actual
                        + " but the URL names " + claimed + "; nothing was stored");
            }
            // Durable before visible, and visible durably before the 201: the origin is the copy every
            // edge trusts, and a builder that was told "stored" does not upload again.
            out.force(true);
            out.close();
            CrashPoint.reached("synced");
            beforeVisible.run();
            DurableFiles.publish(temp, store.pathOf(claimed));
            finished = true;
            CrashPoint.reached("published");
        } finally {
            if (!finished) {
                abort();
            }
        }
    }

    /** Drops the temporary file; safe to call more than once. */
    public void abort() {
        finished = true;
        try {
            out.close();
        } catch (IOException ignored) {
            // the file is deleted next either way
        }
        try {
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // a leftover dot-file is removed at the next start and is never served
        }
    }

    /** An upload refused for a reason the client can fix; its message is safe to send back. */
    public static final class UploadRejected extends IOException {
        public UploadRejected(String message) {
            super(message);
        }
    }
}
