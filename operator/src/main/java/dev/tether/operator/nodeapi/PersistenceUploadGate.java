package dev.tether.operator.nodeapi;

import dev.tether.nodeapi.NodeApi;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
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
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code PUT …/persistence}: the one request whose body is streamed to disk instead of aggregated, because an archive may
 * be far larger than the node API's 64 KiB bound on bodies. Sits before the aggregator and passes every other request
 * on untouched. The head is judged first ({@link NodeApiService#beginUpload}, on a handler thread, reading nothing more
 * meanwhile); a refusal is answered and the connection closed without reading the body. An accepted body goes into the
 * partial file as it arrives, cut off at the first byte past the node's limit, and must arrive whole within the request
 * timeout plus the time the limit takes at the slowest rate kept. One upload per connection: the connection closes after
 * its answer.
 */
final class PersistenceUploadGate extends ChannelInboundHandlerAdapter {
    private static final String SUFFIX = "/" + NodeApi.PERSISTENCE;
    /** What the decoder may hand on while the head is judged (it had read them already); far more is no client's. */
    private static final int MAX_EARLY_BYTES = 1 << 20;

    private enum State { PASSING, JUDGING, RECEIVING, FINISHING, DONE }

    private final NodeApiService service;
    private final ExecutorService handlers;
    private State state = State.PASSING;
    private final ArrayDeque<HttpContent> early = new ArrayDeque<>();
    private long earlyBytes;
    private PersistenceUploads.Receiving upload;
    private ScheduledFuture<?> deadline;

    PersistenceUploadGate(NodeApiService service, ExecutorService handlers) {
        this.service = service;
        this.handlers = handlers;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        switch (state) {
            case PASSING -> {
                if (msg instanceof HttpRequest request && isUpload(request)) {
                    start(ctx, request);
                    ReferenceCountUtil.release(msg);
                } else {
                    ctx.fireChannelRead(msg);
                }
            }
            case JUDGING -> {
                if (msg instanceof HttpContent content) {
                    early.add(content);
                    earlyBytes += content.content().readableBytes();
                    if (earlyBytes > MAX_EARLY_BYTES) {
                        ctx.close();
                    }
                } else {
                    ReferenceCountUtil.release(msg);
                }
            }
            case RECEIVING -> {
                try {
                    if (msg instanceof HttpContent content) {
                        receive(ctx, content);
                    }
                } finally {
                    ReferenceCountUtil.release(msg);
                }
            }
            default -> ReferenceCountUtil.release(msg);
        }
    }

    private static boolean isUpload(HttpRequest request) {
        if (!request.method().equals(HttpMethod.PUT) || !request.decoderResult().isSuccess()) {
            return false;
        }
        String uri = request.uri();
        int query = uri.indexOf('?');
        return (query < 0 ? uri : uri.substring(0, query)).endsWith(SUFFIX);
    }

    private void start(ChannelHandlerContext ctx, HttpRequest request) {
        state = State.JUDGING;
        ctx.channel().config().setAutoRead(false);
        RequestDeadline requestDeadline = ctx.pipeline().get(RequestDeadline.class);
        if (requestDeadline != null) {
            // This request's whole-request bound is the upload's own, set once its limit is known.
            requestDeadline.disarmForUpload();
        }
        NodeCall call = NodeApiHandler.call(ctx, request, new byte[0]);
        long declared = HttpUtil.isTransferEncodingChunked(request) ? -1 : HttpUtil.getContentLength(request, -1L);
        if (declared < 0 && !HttpUtil.isTransferEncodingChunked(request)) {
            declared = 0;
        }
        long length = declared;
        offload(ctx, () -> service.beginUpload(call, length), start -> decided(ctx, start));
    }

    private void decided(ChannelHandlerContext ctx, NodeApiService.UploadStart start) {
        if (start.refused() != null || !ctx.channel().isActive()) {
            if (start.upload() != null) {
                service.refuseUpload(start.upload(), null);
            }
            finish(ctx, start.refused());
            return;
        }
        upload = start.upload();
        state = State.RECEIVING;
        deadline = ctx.executor().schedule(() -> fail(ctx, null), upload.deadline.toMillis(), TimeUnit.MILLISECONDS);
        while (!early.isEmpty() && state == State.RECEIVING) {
            HttpContent content = early.poll();
            try {
                receive(ctx, content);
            } finally {
                content.release();
            }
        }
        if (state == State.RECEIVING) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void receive(ChannelHandlerContext ctx, HttpContent content) {
        try {
            for (ByteBuffer buffer : content.content().nioBuffers()) {
                if (!upload.write(buffer)) {
                    fail(ctx, PersistenceUploads.tooLarge(upload.bytes() + buffer.remaining(), upload.maxBytes));
                    return;
                }
            }
        } catch (IOException e) {
            fail(ctx, new Refusal(500, "InternalError", "the operator could not write the archive; its log says why"));
            return;
        }
        if (upload.declaredLength >= 0 && upload.bytes() > upload.declaredLength) {
            fail(ctx, Refusal.badRequest("BadRequest", "the body is longer than its Content-Length"));
            return;
        }
        if (content instanceof LastHttpContent) {
            state = State.FINISHING;
            ctx.channel().config().setAutoRead(false);
            cancelDeadline();
            PersistenceUploads.Receiving received = upload;
            offload(ctx, () -> service.finishUpload(received), reply -> finish(ctx, reply));
        }
    }

    /** Drops the upload; answers with {@code refusal} when there is one, else just closes (a deadline or a dead peer). */
    private void fail(ChannelHandlerContext ctx, Refusal refusal) {
        if (state != State.RECEIVING) {
            return;
        }
        cancelDeadline();
        finish(ctx, service.refuseUpload(upload, refusal));
    }

    private void finish(ChannelHandlerContext ctx, Reply reply) {
        state = State.DONE;
        early.forEach(HttpContent::release);
        early.clear();
        if (reply == null || !ctx.channel().isActive()) {
            ctx.close();
            return;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(reply.status()),
                Unpooled.wrappedBuffer(reply.body()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, Reply.JSON);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        reply.headers().forEach(response.headers()::set);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private <T> void offload(ChannelHandlerContext ctx, Supplier<T> work, Consumer<T> then) {
        try {
            handlers.execute(() -> {
                T result = work.get();
                ctx.executor().execute(() -> then.accept(result));
            });
        } catch (RejectedExecutionException e) {
            if (upload != null) {
                service.refuseUpload(upload, null);
            }
            finish(ctx, Reply.error(503, "Busy", "the node API is answering too many requests; try again shortly")
                    .withHeader("Retry-After", "2"));
        }
    }

    private void cancelDeadline() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (state == State.RECEIVING) {
            cancelDeadline();
            service.refuseUpload(upload, null);
            state = State.DONE;
        }
        early.forEach(HttpContent::release);
        early.clear();
        super.channelInactive(ctx);
    }
}
