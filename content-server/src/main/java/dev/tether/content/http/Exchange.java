package dev.tether.content.http;

import dev.tether.content.metrics.ServerMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;

/**
 * One request and its response on a connection. Handlers read the request from it and answer
 * through it; it tells the {@link RequestRouter} when both the request body has been read and the
 * response has been written, which is when the connection may carry the next request.
 */
public final class Exchange {
    private final RequestRouter router;
    private final ChannelHandlerContext ctx;
    private final HttpRequest request;
    private final QueryStringDecoder uri;
    private final boolean tls;
    private final ServerMetrics metrics;

    private BodySink body = BodySink.DISCARD;
    private boolean requestComplete;
    private boolean responseStarted;
    private boolean responseComplete;
    private boolean closeAfterResponse;
    private boolean keepAlive;
    private boolean done;
    private int status;

    Exchange(RequestRouter router, ChannelHandlerContext ctx, HttpRequest request, boolean tls, ServerMetrics metrics) {
        this.router = router;
        this.ctx = ctx;
        this.request = request;
        this.uri = new QueryStringDecoder(request.uri());
        this.tls = tls;
        this.metrics = metrics;
    }

    public ChannelHandlerContext ctx() {
        return ctx;
    }

    public HttpRequest request() {
        return request;
    }

    public HttpMethod method() {
        return request.method();
    }

    public boolean isHead() {
        return HttpMethod.HEAD.equals(request.method());
    }

    /** The path as sent, not percent-decoded: routes match it exactly, so encodings never alias. */
    public String rawPath() {
        return uri.rawPath();
    }

    public String queryParameter(String name) {
        var values = uri.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    public String header(CharSequence name) {
        return request.headers().get(name);
    }

    public boolean tls() {
        return tls;
    }

    public boolean requestComplete() {
        return requestComplete;
    }

    public boolean responseStarted() {
        return responseStarted;
    }

    /** Sends the body, as it arrives, to {@code sink} instead of dropping it. */
    public void receiveBody(BodySink sink) {
        this.body = sink;
    }

    /** The connection will close once the response is written (a body left unread, a failed upload). */
    public void closeAfterResponse() {
        closeAfterResponse = true;
    }

    // ---- responses -------------------------------------------------------------------------

    /** A short text answer; errors say what happened and what to do, never a stack trace. */
    public void respond(HttpResponseStatus status, String message) {
        respond(status, "text/plain; charset=utf-8", (message + "\n").getBytes(StandardCharsets.UTF_8));
    }

    public void respond(HttpResponseStatus status, CharSequence contentType, byte[] content) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                isHead() ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(content));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.length);
        respond(response);
    }

    /** Sends a complete response; its headers may be adjusted first (connection, date). */
    public void respond(FullHttpResponse response) {
        if (!response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
            HttpUtil.setContentLength(response, response.content().readableBytes());
        }
        long bytes = response.content().readableBytes();
        prepareHead(response);
        finish(ctx.writeAndFlush(response), bytes);
    }

    /** Writes the status line and headers; the caller writes the body, then calls {@link #finish}. */
    public void sendHead(HttpResponse head) {
        prepareHead(head);
        ctx.write(head);
    }

    /** Ends a streamed response: {@code last} is the future of its final write. */
    public ChannelFuture finishBody(long bodyBytes) {
        ChannelFuture last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        finish(last, bodyBytes);
        return last;
    }

    private void prepareHead(HttpResponse head) {
        if (responseStarted) {
            throw new IllegalStateException("a response was already sent for " + request.method() + " " + rawPath());
        }
        responseStarted = true;
        status = head.status().code();
        keepAlive = !closeAfterResponse && !router.draining() && HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(head, keepAlive);
        if (keepAlive && request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        head.headers().set(HttpHeaderNames.DATE, HttpDates.now());
        head.headers().set(HttpHeaderNames.SERVER, "tether");
    }

    private void finish(ChannelFuture last, long bodyBytes) {
        last.addListener(f -> {
            metrics.request(request.method().name(), status, f.isSuccess() ? bodyBytes : 0);
            if (!f.isSuccess()) {
                ctx.close();
                return;
            }
            responseComplete = true;
            if (!keepAlive && !requestComplete) {
                // The rest of the body will not be read: close now rather than wait for it.
                ctx.close();
                return;
            }
            maybeDone();
        });
    }

    /** Answers 500 if nothing was sent yet, else cuts the connection: used when a handler failed. */
    public void fail(HttpResponseStatus status, String message) {
        if (!responseStarted && ctx.channel().isActive()) {
            closeAfterResponse();
            respond(status, message);
        } else {
            ctx.close();
        }
    }

    // ---- request body, driven by the router ---------------------------------------------------

    void receive(HttpContent chunk) {
        body.content(this, chunk);
        if (chunk instanceof LastHttpContent) {
            requestComplete = true;
            router.bodyComplete();
            body.end(this);
            maybeDone();
        }
    }

    void abort() {
        if (!requestComplete) {
            body.abort(this);
        }
    }

    private void maybeDone() {
        if (requestComplete && responseComplete && !done) {
            done = true;
            router.exchangeDone(this, keepAlive);
        }
    }
}
