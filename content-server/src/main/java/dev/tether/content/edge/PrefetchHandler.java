package dev.tether.content.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.content.http.Exchange;
import dev.tether.content.http.SmallBody;
import dev.tether.content.store.BearerToken;
import dev.tether.contracts.BlobDigest;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /prefetch} with {@code {"digests":["sha256:…", …]}}: a way to tell an edge what to
 * fetch before nodes ask, for whoever holds its prefetch token. Answers 202 with the digests queued;
 * the fetches run in the background. (The operator's edges run without a token: they prefetch what
 * their boot configuration names, which the operator updates on publication.)
 *
 * <p>Only the holder of the edge's prefetch token may ask: each queued digest costs the origin a
 * fetch, so strangers on the boot network must not choose them. The token is checked before a byte
 * of the body is read; a full queue answers 429 with {@code Retry-After}.
 */
public final class PrefetchHandler {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 64 * 1024;
    private static final int MAX_DIGESTS = 256;

    /** What a caller told to come back later waits: long enough for the worker to get through some of the queue. */
    static final int RETRY_AFTER_SECONDS = 30;

    private final Prefetcher prefetcher;
    private final BearerToken token;

    /** @param token the prefetch token, or null when this edge takes no prefetch requests */
    public PrefetchHandler(Prefetcher prefetcher, BearerToken token) {
        this.prefetcher = prefetcher;
        this.token = token;
    }

    public void prefetch(Exchange x) {
        if (token == null) {
            refuseBody(x);
            x.respond(HttpResponseStatus.FORBIDDEN, "this edge takes no prefetch requests (it was started without "
                    + "--prefetch-token-file); it prefetches what its boot configuration names");
            return;
        }
        if (!token.accepts(x.header(HttpHeaderNames.AUTHORIZATION))) {
            FullHttpResponse r = text(HttpResponseStatus.UNAUTHORIZED,
                    "prefetch needs Authorization: Bearer <token> with the edge's prefetch token");
            r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
            refuseBody(x);
            x.respond(r);
            return;
        }
        SmallBody.read(x, MAX_BODY, this::answer);
    }

    /**
     * A refused request's body is never parsed. One of a prefetch request's size is read and dropped,
     * so the client gets its answer reliably (closing on unread bytes makes the kernel reset the
     * connection, which can destroy the answer); a larger or unbounded one closes the connection.
     */
    private static void refuseBody(Exchange x) {
        if (HttpUtil.isTransferEncodingChunked(x.request()) || HttpUtil.getContentLength(x.request(), 0L) > MAX_BODY) {
            x.closeAfterResponse();
        }
    }

    private static FullHttpResponse text(HttpResponseStatus status, String message) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        return r;
    }

    private void answer(Exchange x, byte[] body) {
        List<BlobDigest> digests = new ArrayList<>();
        try {
            JsonNode list = JSON.readTree(body).path("digests");
            if (!list.isArray() || list.size() > MAX_DIGESTS) {
                throw new IllegalArgumentException("expected {\"digests\":[\"sha256:<hex>\", …]} with at most " + MAX_DIGESTS + " entries");
            }
            for (JsonNode d : list) {
                digests.add(BlobDigest.parse(d.asText()));
            }
        } catch (IOException | IllegalArgumentException e) {
            x.respond(HttpResponseStatus.BAD_REQUEST, "bad prefetch request: " + (e instanceof IOException ? "not JSON" : e.getMessage()));
            return;
        }
        Prefetcher.Outcome outcome = prefetcher.prefetch(digests);
        if (outcome.full()) {
            FullHttpResponse r = text(HttpResponseStatus.TOO_MANY_REQUESTS,
                    "the prefetch queue is full; nothing of this request was queued, send it again later");
            r.headers().setInt(HttpHeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
            x.respond(r);
            return;
        }
        ObjectNode out = JSON.createObjectNode();
        var queued = out.putArray("queued");
        outcome.queued().forEach(d -> queued.add(d.toString()));
        try {
            x.respond(HttpResponseStatus.ACCEPTED, "application/json", JSON.writeValueAsBytes(out));
        } catch (IOException e) {
            x.fail(HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot answer");
        }
    }
}
