package dev.tether.agent.image;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The bytes of one checked range answer and the blob size the edge gave with it (-1 if unknown).
 *
 * <p>The bytes may be in a buffer from a {@link ChunkBuffers} pool (a chunk's sealed bytes, off the heap
 * like its plaintext). Whoever holds the body gives that buffer back with {@link #release()}: the reader
 * of the answer if it fails, else the fetcher once the verifier has run (so a verifier must not keep the
 * bytes). A body on the heap releases nothing.
 */
public final class RangeBody {
    private final ByteBuffer bytes;
    private final long blobSize;
    private final ChunkBuffers home;
    private final AtomicReference<ByteBuffer> pooled;

    /** @param bytes exactly the bytes asked for, position 0 */
    public RangeBody(ByteBuffer bytes, long blobSize) {
        this(bytes, blobSize, null);
    }

    private RangeBody(ByteBuffer bytes, long blobSize, ChunkBuffers home) {
        this.bytes = bytes;
        this.blobSize = blobSize;
        this.home = home;
        this.pooled = new AtomicReference<>(home == null ? null : bytes);
    }

    /**
     * An empty body of {@code length} bytes to read an answer into: from {@code pool} when it is given and
     * the length fits its buffers, else on the heap.
     */
    static RangeBody empty(int length, long blobSize, ChunkBuffers pool) {
        if (pool != null && length <= pool.size()) {
            return new RangeBody(pool.take().limit(length), blobSize, pool);
        }
        return new RangeBody(ByteBuffer.allocate(length), blobSize);
    }

    /** Exactly the bytes asked for, position 0 (an empty body's: to fill, then flip). */
    public ByteBuffer bytes() {
        return bytes;
    }

    public long blobSize() {
        return blobSize;
    }

    /** Gives a pooled buffer back; the first call does, later ones do nothing. */
    public void release() {
        ByteBuffer buffer = pooled.getAndSet(null);
        if (buffer != null) {
            home.give(buffer);
        }
    }
}
