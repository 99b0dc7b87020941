package dev.tether.content.store;

import io.netty.channel.ChannelHandlerContext;

/**
 * A blob that a response may read from, held open (and, on an edge, pinned against eviction) until
 * {@link #release()}.
 */
public interface ServableBlob {

    long size();

    /**
     * The message that writes {@code length} bytes from {@code offset}: a zero-copy
     * {@code FileRegion} on plain connections, a {@code ChunkedInput} where the bytes must pass
     * through the JVM (TLS, or a fill still in progress).
     */
    Object body(long offset, long length, boolean tls, ChannelHandlerContext ctx);

    void release();
}
