package dev.tether.operator.nodeapi;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.stream.ChunkedNioFile;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each request to the {@link NodeApiService} on a handler thread (answers may wait on the
 * Kubernetes API, which must not block the event loop) and writes its reply. The connection reads no
 * further request until the reply is written, so a client cannot queue work faster than it is answered;
 * a pipelined request that was already read meanwhile is not answered, and the connection is closed
 * after the reply in flight (nodes do not pipeline).
 */
final class NodeApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(NodeApiHandler.class);
    private static final int MAX_QUERY_PARAMETERS = 8;

    private final NodeApiService service;
    private final HandlerPools handlers;
    /** Both only touched on the channel's event loop. */
    private boolean inFlight;
    private boolean pipelined;

    NodeApiHandler(NodeApiService service, HandlerPools handlers) {
        this.service = service;
        this.handlers = handlers;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!ctx.channel().isActive()) {
            // The decoder's last, partial request of a connection already closed (by the request deadline, or the
            // client): nobody is left to answer, and it is no refusal worth an event.
            return;
        }
        if (inFlight) {
            pipelined = true;
            return;
        }
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            int status = cause instanceof TooLongHttpLineException ? 414 : cause instanceof TooLongHttpHeaderException ? 431 : 400;
            String message = switch (status) {
                case 414 -> "the request line is longer than " + NodeApiInitializer.MAX_INITIAL_LINE + " bytes";
                case 431 -> "the request headers are larger than " + NodeApiInitializer.MAX_HEADER_SIZE + " bytes";
                default -> cause instanceof TooLongFrameException ? "a part of the request is too long" : "the request is not valid HTTP/1.1";
            };
            NodeCall call = call(ctx, request, new byte[0]);
            dispatch(ctx, call, handlers.writes(), () -> service.refuseUndecodable(call, status, message), false);
            return;
        }
        NodeCall call = call(ctx, request, ByteBufUtil.getBytes(request.content()));
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        dispatch(ctx, call, handlers.forEndpoint(RequestTimings.endpointOf(call.rawPath())), () -> service.handle(call), keepAlive);
    }

    /** Called by {@link BoundedAggregator} for a body over the limit; the rest of it is never read. */
    void oversized(ChannelHandlerContext ctx, HttpRequest request) {
        if (inFlight) {
            pipelined = true;
            return;
        }
        NodeCall call = call(ctx, request, new byte[0]);
        dispatch(ctx, call, handlers.writes(), () -> service.refuseOversized(call), false);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // TLS handshake failures (a client that does not trust the CA, a port scan) end up here.
        LOG.debug("node API connection from {} failed: {}", ctx.channel().remoteAddress(), cause.getClass().getSimpleName());
        ctx.close();
    }

    /** Answers {@code call} on one of {@code pool}'s threads, or 503 when its queue is full. */
    private void dispatch(ChannelHandlerContext ctx, NodeCall call, ExecutorService pool, Supplier<Reply> answer, boolean keepAlive) {
        inFlight = true;
        ctx.channel().config().setAutoRead(false);
        // One read while the request waits: what it finds is the client's end of the connection (its timeout, or its
        // edge's), and the handler then skips a request nobody is left to answer; a pipelined request it finds instead is
        // not answered, as before. Reading stops after that one (autoRead is off), so a client still cannot queue work.
        ctx.read();
        long queued = System.nanoTime();
        try {
            pool.execute(() -> {
                long started = System.nanoTime();
                if (!ctx.channel().isActive()) {
                    // The client gave up while the request waited (its timeout, or its edge's): nobody is left to answer,
                    // and the work would only delay the requests behind it; an API key issued now would spend a once
                    // credential on a key nobody receives.
                    service.timings().abandoned(RequestTimings.endpointOf(call.rawPath()), started - queued);
                    return;
                }
                long cpu = RequestTimings.threadCpuNanos();
                Reply reply;
                try {
                    reply = answer.get();
                } catch (RuntimeException e) {
                    LOG.error("node API handler failed: {}", e.toString());
                    reply = Reply.error(500, "InternalError", "the operator could not answer this request; its log says why");
                }
                service.timings().record(RequestTimings.endpointOf(call.rawPath()), started - queued, System.nanoTime() - started,
                        RequestTimings.threadCpuNanos() - cpu);
                write(ctx, reply, keepAlive);
            });
        } catch (RejectedExecutionException e) {
            write(ctx, Reply.error(503, "Busy", "the node API is answering too many requests; try again shortly")
                    .withHeader("Retry-After", "2"), false);
        }
    }

    private void write(ChannelHandlerContext ctx, Reply reply, boolean keepAlive) {
        if (reply.stream() != null) {
            writeStream(ctx, reply);
            return;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(reply.status()),
                Unpooled.wrappedBuffer(reply.body()));
        var headers = response.headers();
        if (reply.body().length > 0) {
            headers.set(HttpHeaderNames.CONTENT_TYPE, Reply.JSON);
        }
        headers.setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
        // Answers may hold keys: no cache anywhere may keep them.
        headers.set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        reply.headers().forEach(headers::set);
        if (keepAlive) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
                inFlight = false;
                if (f.isSuccess() && !pipelined) {
                    RequestDeadline deadline = ctx.pipeline().get(RequestDeadline.class);
                    if (deadline != null) {
                        deadline.arm();
                    }
                    f.channel().config().setAutoRead(true);
                } else {
                    f.channel().close();
                }
            });
        } else {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** A node's archive, read from the volume as the connection takes it; the connection closes after it. */
    private static void writeStream(ChannelHandlerContext ctx, Reply reply) {
        Reply.Streamed stream = reply.stream();
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(reply.status()));
        var headers = response.headers();
        headers.set(HttpHeaderNames.CONTENT_TYPE, Reply.OCTETS);
        headers.set(HttpHeaderNames.CONTENT_LENGTH, stream.length());
        headers.set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        reply.headers().forEach(headers::set);
        ctx.write(response);
        try {
            ctx.writeAndFlush(new HttpChunkedInput(new ChunkedNioFile(stream.file(), 0, stream.length(), 64 * 1024)))
                    .addListener(ChannelFutureListener.CLOSE);
        } catch (IOException e) {
            LOG.error("could not stream an archive: {}", e.toString());
            ctx.close();
        }
    }

    static NodeCall call(ChannelHandlerContext ctx, HttpRequest request, byte[] body) {
        var uri = new QueryStringDecoder(request.uri(), StandardCharsets.UTF_8, true, MAX_QUERY_PARAMETERS);
        // The client as a trusted edge named it (PROXY protocol), else the peer itself; never the edge for a node behind it.
        String source = ctx.channel().attr(ProxyProtocolGate.CLIENT).get();
        if (source == null) {
            source = ctx.channel().remoteAddress() instanceof InetSocketAddress address && address.getAddress() != null
                    ? address.getAddress().getHostAddress() : String.valueOf(ctx.channel().remoteAddress());
        }
        return new NodeCall(request.method().name(), uri.rawPath(), uri.parameters(),
                request.headers().get(HttpHeaderNames.AUTHORIZATION), body, source);
    }
}
