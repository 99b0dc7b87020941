package dev.tether.content.store;

import io.netty.channel.DefaultFileRegion;
import io.netty.handler.stream.ChunkedNioFile;
import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * Body messages over a file channel that outlives them: one descriptor per cached blob serves all
 * its responses (positional transfers share it safely), which saves an open, two fstat and a close,
 * and a Cleaner registration, on every request. The owner closes the channel.
 */
final class SharedFileRegion extends DefaultFileRegion {
    SharedFileRegion(FileChannel file, long position, long count) {
        super(file, position, count);
    }

    @Override
    protected void deallocate() {
        // The channel belongs to the cache entry, not to this response.
    }

    /** The same for TLS, where the bytes pass through the JVM in chunks. */
    static final class Chunked extends ChunkedNioFile {
        Chunked(FileChannel file, long offset, long length, int chunkSize) throws IOException {
            super(file, offset, length, chunkSize);
        }

        @Override
        public void close() {
            // as above
        }
    }
}
