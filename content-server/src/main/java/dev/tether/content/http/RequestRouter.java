package dev.tether.content.http;

import dev.tether.content.metrics.ServerMetrics;
import dev.tether.content.server.ConnectionTracker;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an HTTP connection: turns decoded messages into {@link Exchange}s, one at a
 * time, and hands each to the role's {@link Routes}.
 *
 * <p>Answering one request at a time keeps pipelined responses in order even when an answer has
 * to wait (an edge filling a blob). Messages of a pipelined request that arrive meanwhile are held
 * and reading stops, so the held set stays within one socket read.
 */
public final class RequestRouter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(RequestRouter.class);
    /** Requests that are not uploads may carry a body (HTTP allows it) but not a large one. */
    private static final long MAX_OTHER_BODY = 64 * 1024;

    private final Routes routes;
    private final HttpSettings settings;
    private final ServerMetrics metrics;
    private final boolean tls;
    private final ArrayDeque<Object> held = new ArrayDeque<>();

    private ChannelHandlerContext ctx;
    private Exchange exchange;
    private Deadline headDeadline;
    private Deadline bodyDeadline;
    private boolean draining;
    private boolean closing;
    /** The message being sent, and how far, when the send timeout last fired ({@link #responseMoving}). */
    private Object lastSending;
    private long lastSendProgress;

    public RequestRouter(Routes routes, HttpSettings settings, ServerMetrics metrics, boolean tls) {
        this.routes = routes;
        this.settings = settings;
        this.metrics = metrics;
        this.tls = tls;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        // Slowloris and idle keep-alive alike: a request head must be complete in time, however
        // slowly its bytes trickle in.
        headDeadline = new Deadline(ctx, settings.requestHeadTimeout(), ctx::close);
        bodyDeadline = new Deadline(ctx, settings.bodyTimeout(), this::bodyTimedOut);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        metrics.connectionOpened();
        headDeadline.arm();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        metrics.connectionClosed();
        headDeadline.cancel();
        bodyDeadline.cancel();
        if (exchange != null) {
            exchange.abort();
            exchange = null;
        }
        while (!held.isEmpty()) {
            ReferenceCountUtil.release(held.poll());
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!held.isEmpty() || (exchange != null && exchange.requestComplete())) {
            held.add(msg);
            ctx.channel().config().setAutoRead(false);
            return;
        }
        dispatch(msg);
    }

    private void dispatch(Object msg) {
        try {
            if (closing) {
                return;
            }
            if (msg instanceof HttpRequest request) {
                start(request);
            }
            if (msg instanceof HttpContent chunk && exchange != null && !exchange.requestComplete()) {
                bodyDeadline.touch();
                exchange.receive(chunk);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void start(HttpRequest request) {
        headDeadline.disarm();
        if (request.decoderResult().isFailure()) {
            rejectMalformed(request.decoderResult().cause());
            return;
        }
        if (!request.uri().startsWith("/")) {
            rejectMalformed(null);
            return;
        }
        exchange = new Exchange(this, ctx, request, tls, metrics);
        boolean hasBody = HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
        if (hasBody) {
            bodyDeadline.arm();
        }
        if (hasBody && !acceptsBody(request.method())
                && (HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > MAX_OTHER_BODY)) {
            exchange.closeAfterResponse();
            exchange.respond(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    request.method() + " requests take no body here; send at most " + MAX_OTHER_BODY + " bytes");
            return;
        }
        try {
            routes.route(exchange);
        } catch (RuntimeException e) {
            log.warn("failed answering {} {}: {}", request.method(), exchange.rawPath(), e.toString(), e);
            exchange.fail(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error; the server log has the details");
        }
    }

    private static boolean acceptsBody(HttpMethod method) {
        return HttpMethod.PUT.equals(method) || HttpMethod.POST.equals(method);
    }

    /** Headers that could not be parsed: answer once and close, the stream is no longer framed. */
    private void rejectMalformed(Throwable cause) {
        closing = true;
        HttpResponseStatus status;
        String message;
        if (cause instanceof TooLongHttpLineException) {
            status = HttpResponseStatus.REQUEST_URI_TOO_LONG;
            message = "request line longer than " + settings.maxInitialLineLength() + " bytes";
        } else if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
            status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
            message = "request headers larger than " + settings.maxHeaderSize() + " bytes";
        } else {
            status = HttpResponseStatus.BAD_REQUEST;
            message = "malformed HTTP request";
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpUtil.setContentLength(response, response.content().readableBytes());
        metrics.request("OTHER", status.code(), 0);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private void bodyTimedOut() {
        if (exchange == null) {
            return;
        }
        log.debug("request body from {} stalled for {}; closing", ctx.channel().remoteAddress(), settings.bodyTimeout());
        if (!exchange.responseStarted()) {
            exchange.closeAfterResponse();
            exchange.respond(HttpResponseStatus.REQUEST_TIMEOUT,
                    "the request body stalled for longer than " + settings.bodyTimeout().toSeconds() + " s");
        } else {
            ctx.close();
        }
    }

    // ---- called by the exchange ------------------------------------------------------------------

    boolean draining() {
        return draining;
    }

    void bodyComplete() {
        bodyDeadline.disarm();
    }

    void exchangeDone(Exchange finished, boolean keepAlive) {
        if (finished != exchange) {
            return;
        }
        exchange = null;
        bodyDeadline.disarm();
        if (!keepAlive) {
            ctx.close();
            return;
        }
        headDeadline.arm();
        if (held.isEmpty()) {
            ctx.channel().config().setAutoRead(true);
        } else {
            // Not from within this call: the write listener that got here may itself be nested in a dispatch.
            ctx.executor().execute(this::replayHeld);
        }
    }

    private void replayHeld() {
        while (!held.isEmpty() && ctx.channel().isActive() && (exchange == null || !exchange.requestComplete())) {
            dispatch(held.poll());
        }
        if (held.isEmpty() && ctx.channel().isActive()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ConnectionTracker.DRAIN) {
            draining = true;
            if (exchange == null) {
                ctx.close();
            }
        } else if (evt instanceof IdleStateEvent idle && exchange != null && exchange.responseStarted()) {
            if (responseMoving(ctx)) {
                return;
            }
            log.debug("{} stopped reading its response for {}; closing", ctx.channel().remoteAddress(), idle.state());
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /**
     * Whether the response has moved since the send timeout last fired. Netty's idle handler does not look at a
     * message's progress the first time it fires after a write began, so one large file region still being sent
     * (an initramfs of 55 MB by sendfile, slowly because a hundred nodes share the edge's link) counted as a reader
     * that stopped, and was cut off at the send timeout: 496 of 500 boots failed so in the boot storm (issue #15).
     * The first time, a message that has sent anything has moved; after that, Netty's own check of its progress
     * stands, and this one agrees with it. A reader that never reads is still cut off at the first timeout, one that
     * stops half-way at the next.
     */
    private boolean responseMoving(ChannelHandlerContext ctx) {
        ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        Object current = out == null ? null : out.current();
        if (current == null) {
            return false;
        }
        long progress = out.currentProgress();
        boolean moved = current == lastSending ? progress != lastSendProgress : progress > 0;
        lastSending = current;
        lastSendProgress = progress;
        return moved;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes are what clients do; anything else is worth one line.
        if (cause instanceof IOException) {
            log.debug("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        }
        ctx.close();
    }
}
