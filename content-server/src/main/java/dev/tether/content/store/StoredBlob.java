package dev.tether.content.store;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.stream.ChunkedNioFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A complete file on disk: a stored or cached blob, or a boot file. */
public final class StoredBlob implements ServableBlob {
    /** Large enough that TLS records are full, small enough not to hold much memory per connection. */
    private static final int TLS_CHUNK = 64 * 1024;

    private final Path path;
    private final FileChannel shared;
    private final long size;
    private final Runnable onRelease;

    /** A file opened per response (and closed with it). */
    public StoredBlob(Path path, long size, Runnable onRelease) {
        this(path, null, size, onRelease);
    }

    /**
     * @param shared an open channel on {@code path} that the caller keeps open until {@code onRelease}
     *               has run for every blob handed out on it
     */
    public StoredBlob(Path path, FileChannel shared, long size, Runnable onRelease) {
        this.path = path;
        this.shared = shared;
        this.size = size;
        this.onRelease = onRelease;
    }

    @Override
    public long size() {
        return size;
    }

    public Path path() {
        return path;
    }

    @Override
    public Object body(long offset, long length, boolean tls, ChannelHandlerContext ctx) {
        if (!tls) {
            // sendfile(2); a region on its own file is opened lazily and closed when released.
            return shared != null ? new SharedFileRegion(shared, offset, length) : new DefaultFileRegion(path.toFile(), offset, length);
        }
        try {
            if (shared != null) {
                return new SharedFileRegion.Chunked(shared, offset, length, TLS_CHUNK);
            }
            return new ChunkedNioFile(FileChannel.open(path, StandardOpenOption.READ), offset, length, TLS_CHUNK);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void release() {
        onRelease.run();
    }
}
