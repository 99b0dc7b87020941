package dev.tether.content.http;

import dev.tether.content.http.RangeRequest.ByteRange;
import dev.tether.content.server.Cork;
import dev.tether.content.store.ServableBlob;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Answers GET and HEAD for a file-backed representation: conditional requests, then the whole body
 * (200), one range (206), several ranges as {@code multipart/byteranges} (206, as nginx does), or
 * 416. The body goes out as the blob's own message type (zero-copy where possible); the blob is
 * released when the last write completes or fails.
 */
public final class RangeResponder {
    private static final String OCTETS = "application/octet-stream";

    private RangeResponder() {
    }

    /**
     * @param etag        the strong entity tag, or null for representations that have none
     * @param immutable   whether caches may keep the response forever (content-addressed blobs)
     */
    public static void send(Exchange x, ServableBlob blob, String etag, boolean immutable) {
        long size = blob.size();
        String ifNoneMatch = x.header(HttpHeaderNames.IF_NONE_MATCH);
        if (etag != null && ifNoneMatch != null && matchesAny(ifNoneMatch, etag)) {
            blob.release();
            FullHttpResponse notModified = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED);
            notModified.headers().set(HttpHeaderNames.ETAG, etag);
            notModified.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            x.respond(notModified);
            return;
        }
        RangeRequest ranges = RangeRequest.evaluate(x.header(HttpHeaderNames.RANGE), x.header(HttpHeaderNames.IF_RANGE), etag, size);
        if (ranges.kind() == RangeRequest.Kind.UNSATISFIABLE) {
            blob.release();
            byte[] text = ("none of the requested ranges lies within the " + size + " bytes\n").getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, x.isHead() ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(text));
            response.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, text.length);
            x.respond(response);
            return;
        }

        HttpResponse head;
        List<Object> body = new ArrayList<>(3);
        long bodyBytes;
        ChannelHandlerContext ctx = x.ctx();
        boolean send = !x.isHead() && size > 0;
        if (ranges.kind() == RangeRequest.Kind.FULL) {
            head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, OCTETS);
            bodyBytes = size;
            if (send) {
                body.add(blob.body(0, size, x.tls(), ctx));
            }
        } else if (ranges.ranges().size() == 1) {
            ByteRange r = ranges.ranges().get(0);
            head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PARTIAL_CONTENT);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, OCTETS);
            head.headers().set(HttpHeaderNames.CONTENT_RANGE, r.contentRange(size));
            bodyBytes = r.length();
            if (send) {
                body.add(blob.body(r.first(), r.length(), x.tls(), ctx));
            }
        } else {
            String boundary = boundary();
            head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PARTIAL_CONTENT);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, "multipart/byteranges; boundary=" + boundary);
            bodyBytes = 0;
            for (ByteRange r : ranges.ranges()) {
                ByteBuf partHead = ascii("\r\n--" + boundary + "\r\nContent-Type: " + OCTETS
                        + "\r\nContent-Range: " + r.contentRange(size) + "\r\n\r\n");
                bodyBytes += partHead.readableBytes() + r.length();
                if (send) {
                    body.add(partHead);
                    body.add(blob.body(r.first(), r.length(), x.tls(), ctx));
                } else {
                    partHead.release();
                }
            }
            ByteBuf close = ascii("\r\n--" + boundary + "--\r\n");
            bodyBytes += close.readableBytes();
            if (send) {
                body.add(close);
            } else {
                close.release();
            }
        }
        HttpHeaders h = head.headers();
        h.set(HttpHeaderNames.CONTENT_LENGTH, bodyBytes);
        h.set(HttpHeaderNames.ACCEPT_RANGES, "bytes");
        if (etag != null) {
            h.set(HttpHeaderNames.ETAG, etag);
        }
        if (immutable) {
            h.set(HttpHeaderNames.CACHE_CONTROL, "public, max-age=31536000, immutable");
        }
        // Corked only for small plain file bodies (Cork says why): TLS and streamed bodies already leave in full records.
        boolean cork = !x.tls() && send && bodyBytes <= Cork.MAX_BODY_BYTES && ctx.executor().inEventLoop()
                && body.stream().allMatch(part -> part instanceof FileRegion || part instanceof ByteBuf);
        if (cork) {
            Cork.cork(ctx.channel());
        }
        x.sendHead(head);
        for (Object part : body) {
            // A body that fails midway (a fill whose bytes failed verification) must cut the
            // connection: the client cannot otherwise tell a short body from a slow one.
            ctx.write(part).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
        x.finishBody(send ? bodyBytes : 0).addListener(f -> blob.release());
        if (cork) {
            Cork.uncork(ctx.channel());
        }
    }

    /** If-None-Match uses weak comparison (RFC 9110 §13.1.2). */
    private static boolean matchesAny(String ifNoneMatch, String etag) {
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.strip();
            if (t.equals("*") || (t.startsWith("W/") ? t.substring(2) : t).equals(etag)) {
                return true;
            }
        }
        return false;
    }

    private static String boundary() {
        return String.format("%020d", ThreadLocalRandom.current().nextLong(Long.MAX_VALUE));
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.US_ASCII));
    }
}
