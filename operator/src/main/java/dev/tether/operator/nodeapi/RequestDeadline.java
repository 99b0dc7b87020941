package dev.tether.operator.nodeapi;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The content server's request-head deadline, for the node API: from the connection's start (TLS handshake
 * included) or the end of the last answer, the next request must have arrived whole within the timeout. The
 * idle timer alone does not bound this, because every trickled byte resets it. The body is covered too: node
 * API bodies are at most 64 KiB, so a node sends them in far less than the timeout.
 *
 * <p>Sits after the aggregator, so it sees whole requests; {@link NodeApiHandler} re-arms it once an answer on a
 * kept-alive connection is written. Touched only on the channel's event loop.
 */
final class RequestDeadline extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(RequestDeadline.class);

    private final Duration timeout;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;

    RequestDeadline(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest) {
            disarm();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        disarm();
        ctx.fireChannelInactive();
    }

    /** Starts the wait for the next request. */
    void arm() {
        disarm();
        timer = ctx.executor().schedule(this::expired, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** A persistence upload is bound by its own deadline ({@link PersistenceUploadGate}); the connection closes after it. */
    void disarmForUpload() {
        disarm();
    }

    private void disarm() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expired() {
        timer = null;
        LOG.debug("node API connection from {} sent no whole request within {}; closing", ctx.channel().remoteAddress(), timeout);
        ctx.close();
    }
}
