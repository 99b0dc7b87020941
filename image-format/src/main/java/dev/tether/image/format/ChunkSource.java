package dev.tether.image.format;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where a reader gets the sealed bytes of a container: a local file, or (in the boot agent) edges
 * that serve it with range requests. Implementations must be safe for concurrent use.
 */
public interface ChunkSource extends Closeable {

    /** The first {@link ImageHeader#SIZE} bytes of the container, or fewer if it is shorter. */
    ByteBuffer readHeader() throws IOException;

    /**
     * The sealed bytes of one chunk: {@code location.length()} bytes at {@code location.offset()}.
     * A source returns fewer only when the container ends early; the reader treats that as a
     * truncated chunk.
     */
    ByteBuffer readChunk(ChunkLocation location) throws IOException;

    /** The container's total size when the source knows it, else -1. */
    default long size() throws IOException {
        return -1;
    }

    @Override
    default void close() throws IOException {
    }
}
