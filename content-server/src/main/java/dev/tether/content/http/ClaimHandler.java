package dev.tether.content.http;

import dev.tether.content.store.BearerToken;
import dev.tether.content.store.BlobClaims;
import dev.tether.content.store.BlobStore;
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
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /claims/sha256/<hex>} on the origin, with a build's upload grant: "my build will name this blob; keep
 * it". 204 when the blob is stored and now claimed until the grant expires, 404 when it is not (the build uploads it,
 * and the upload claims it). With the origin's own token it only says whether the blob is stored (200 or 404): the
 * operator, which alone deletes, needs no claim against itself. See {@link BlobClaims}.
 */
public final class ClaimHandler {
    private static final Logger log = LoggerFactory.getLogger(ClaimHandler.class);

    private final BlobStore store;
    private final BlobClaims claims;
    private final BearerToken token;
    private final Executor disk;

    public ClaimHandler(BlobStore store, BlobClaims claims, BearerToken token, Executor disk) {
        this.store = store;
        this.claims = claims;
        this.token = token;
        this.disk = disk;
    }

    public void claim(Exchange x, String hex) {
        if (HttpUtil.isTransferEncodingChunked(x.request()) || HttpUtil.getContentLength(x.request(), 0L) > 0) {
            x.closeAfterResponse();
            x.respond(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "a claim takes no body; the URL names the blob");
            return;
        }
        BearerToken.Access access = token.forUpload(x.header(HttpHeaderNames.AUTHORIZATION));
        if (access instanceof BearerToken.Refused refused) {
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(refused.status()),
                    Unpooled.copiedBuffer(refused.message() + "\n", StandardCharsets.UTF_8));
            r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            x.respond(r);
            return;
        }
        BlobDigest digest = BlobDigest.ofHexOrNull(hex);
        if (digest == null) {
            x.respond(HttpResponseStatus.BAD_REQUEST, "not a claim address: expected /claims/sha256/<64 lowercase hex characters>");
            return;
        }
        if (!(access instanceof BearerToken.Build build)) {
            boolean stored = store.contains(digest);
            x.respond(stored ? HttpResponseStatus.OK : HttpResponseStatus.NOT_FOUND,
                    digest + (stored ? " is stored" : " is not stored") + "; the origin's own token holds no claims");
            return;
        }
        disk.execute(() -> {
            HttpResponseStatus status;
            String message;
            try {
                if (claims.claimIfStored(store, digest, build.build(), build.expires()) == BlobClaims.ClaimResult.CLAIMED) {
                    status = HttpResponseStatus.NO_CONTENT;
                    message = null;
                    log.debug("build {} claimed {} until {}", build.build(), digest, build.expires());
                } else {
                    status = HttpResponseStatus.NOT_FOUND;
                    message = "no blob " + digest + " here; upload it (the upload claims it)";
                }
            } catch (BlobClaims.ClaimsFull e) {
                status = HttpResponseStatus.SERVICE_UNAVAILABLE;
                message = e.getMessage();
                log.warn("refused a claim of build {} on {}: {}", build.build(), digest, e.getMessage());
            } catch (IOException e) {
                status = HttpResponseStatus.INSUFFICIENT_STORAGE;
                message = "the store could not record the claim; the server log has the details";
                log.warn("cannot record the claim of build {} on {}: {}", build.build(), digest, e.toString());
            }
            HttpResponseStatus s = status;
            String m = message;
            x.ctx().executor().execute(() -> {
                if (!x.ctx().channel().isActive()) {
                    return;
                }
                if (s == HttpResponseStatus.NO_CONTENT) {
                    x.respond(s, "text/plain", new byte[0]);
                } else if (s == HttpResponseStatus.SERVICE_UNAVAILABLE) {
                    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, s,
                            Unpooled.copiedBuffer(m + "\n", StandardCharsets.UTF_8));
                    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
                    r.headers().set(HttpHeaderNames.RETRY_AFTER, "60");
                    x.respond(r);
                } else {
                    x.respond(s, m);
                }
            });
        });
    }
}
