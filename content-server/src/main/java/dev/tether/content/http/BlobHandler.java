package dev.tether.content.http;

import dev.tether.content.edge.BlobUnavailable;
import dev.tether.content.store.BlobSource;
import dev.tether.content.store.ServableBlob;
import dev.tether.contracts.BlobDigest;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GET and HEAD of {@code /blobs/sha256/<hex>}. The digest is validated before anything touches the
 * file system; the blob comes from the role's {@link BlobSource}, which on an edge may have to wait
 * for a fill before it can say how large the blob is.
 */
public final class BlobHandler {
    private static final Logger log = LoggerFactory.getLogger(BlobHandler.class);

    private final BlobSource source;

    public BlobHandler(BlobSource source) {
        this.source = source;
    }

    public void serve(Exchange x, String hex) {
        BlobDigest digest = BlobDigest.ofHexOrNull(hex);
        if (digest == null) {
            x.respond(HttpResponseStatus.BAD_REQUEST, "not a blob address: expected /blobs/sha256/<64 lowercase hex characters>");
            return;
        }
        boolean onlyIfCached = onlyIfCached(x.header(HttpHeaderNames.CACHE_CONTROL));
        CompletableFuture<ServableBlob> opening = source.open(digest, onlyIfCached);
        if (opening.isDone()) {
            answer(x, digest, onlyIfCached, opening);
        } else {
            opening.whenComplete((blob, error) -> x.ctx().executor().execute(() -> answer(x, digest, onlyIfCached, opening)));
        }
    }

    private void answer(Exchange x, BlobDigest digest, boolean onlyIfCached, CompletableFuture<ServableBlob> opened) {
        ServableBlob blob;
        try {
            blob = opened.join();
        } catch (CompletionException | CancellationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof BlobUnavailable unavailable) {
                respond(x, unavailable);
            } else {
                log.warn("cannot open {}: {}", digest, cause.toString());
                x.respond(HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot read " + digest + "; the server log has the details");
            }
            return;
        }
        if (!x.ctx().channel().isActive()) {
            if (blob != null) {
                blob.release();
            }
            return;
        }
        if (blob == null) {
            if (onlyIfCached) {
                // RFC 9111 §5.2.1.7: a cache that cannot answer only-if-cached from storage says 504.
                x.respond(HttpResponseStatus.GATEWAY_TIMEOUT, digest + " is not cached here");
            } else {
                x.respond(HttpResponseStatus.NOT_FOUND, "no blob " + digest + " here");
            }
            return;
        }
        RangeResponder.send(x, blob, digest.etag(), true);
    }

    private static void respond(Exchange x, BlobUnavailable unavailable) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status(unavailable.reason()),
                Unpooled.copiedBuffer(unavailable.getMessage() + "\n", StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        if (unavailable.retryAfterSeconds() > 0) {
            r.headers().set(HttpHeaderNames.RETRY_AFTER, unavailable.retryAfterSeconds());
        }
        x.respond(r);
    }

    private static HttpResponseStatus status(BlobUnavailable.Reason reason) {
        return switch (reason) {
            case CACHE_FULL -> HttpResponseStatus.INSUFFICIENT_STORAGE;
            case NOT_AT_ANY_SOURCE -> HttpResponseStatus.NOT_FOUND;
            case NO_INTACT_SOURCE -> HttpResponseStatus.BAD_GATEWAY;
            case HELD_BACK -> HttpResponseStatus.SERVICE_UNAVAILABLE;
        };
    }

    private static boolean onlyIfCached(String cacheControl) {
        return cacheControl != null && cacheControl.toLowerCase(Locale.ROOT).contains("only-if-cached");
    }
}
