package dev.tether.content.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.content.store.BearerToken;
import dev.tether.content.store.BlobClaims;
import dev.tether.content.store.BlobSource;
import dev.tether.content.store.BlobStore;
import dev.tether.contracts.BlobDigest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /blobs} (either role) and {@code DELETE /blobs/sha256/<hex>} (origin, with its own token; never a build's
 * grant). A blob a build has claimed is not deleted: 409 Conflict naming the build and until when ({@link BlobClaims}).
 */
public final class StoreAdminHandler {
    private static final Logger log = LoggerFactory.getLogger(StoreAdminHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BlobSource source;
    private final BlobStore store;
    private final BearerToken token;
    private final BlobClaims claims;
    private final Executor disk;

    /** An edge's: it lists, and deletes nothing on request. */
    public StoreAdminHandler(BlobSource source) {
        this(source, null, null, null, null);
    }

    /** The origin's: {@code disk} runs deletions, which take the claims' lock, off the event loop. */
    public StoreAdminHandler(BlobSource source, BlobStore store, BearerToken token, BlobClaims claims, Executor disk) {
        this.source = source;
        this.store = store;
        this.token = token;
        this.claims = claims;
        this.disk = disk;
    }

    public void list(Exchange x) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode blobs = root.putArray("blobs");
        for (BlobSource.StoredBlobInfo b : source.list()) {
            blobs.addObject().put("digest", b.digest().toString()).put("size", b.size());
        }
        try {
            x.respond(HttpResponseStatus.OK, "application/json", JSON.writeValueAsBytes(root));
        } catch (IOException e) {
            x.fail(HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot list blobs");
        }
    }

    public void delete(Exchange x, String hex) {
        if (token.forDelete(x.header(HttpHeaderNames.AUTHORIZATION)) instanceof BearerToken.Refused refused) {
            x.respond(HttpResponseStatus.valueOf(refused.status()), refused.message());
            return;
        }
        BlobDigest digest = BlobDigest.ofHexOrNull(hex);
        if (digest == null) {
            x.respond(HttpResponseStatus.BAD_REQUEST, "not a blob address: expected /blobs/sha256/<64 lowercase hex characters>");
            return;
        }
        disk.execute(() -> {
            BlobClaims.Deletion deletion;
            try {
                deletion = claims.deleteUnlessClaimed(store, digest);
            } catch (IOException e) {
                log.warn("cannot delete {}: {}", digest, e.toString());
                answer(x, () -> x.respond(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                        "cannot delete " + digest + "; the server log has the details"));
                return;
            }
            if (deletion.claim() != null) {
                BlobClaims.Claim claim = deletion.claim();
                log.debug("kept {}: claimed by build {} until {}", digest, claim.build(), claim.until());
                long seconds = Math.max(1, Duration.between(token.clock().instant(), claim.until()).toSeconds());
                answer(x, () -> {
                    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONFLICT,
                            Unpooled.copiedBuffer(digest + " is claimed by build " + claim.build() + " until " + claim.until()
                                    + ": that build will name it in the version it publishes; it is kept\n", StandardCharsets.UTF_8));
                    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
                    r.headers().set(HttpHeaderNames.RETRY_AFTER, Long.toString(seconds));
                    x.respond(r);
                });
            } else if (deletion.deleted()) {
                log.info("deleted {}", digest);
                answer(x, () -> x.respond(HttpResponseStatus.NO_CONTENT, "text/plain", new byte[0]));
            } else {
                answer(x, () -> x.respond(HttpResponseStatus.NOT_FOUND, "no blob " + digest + " here"));
            }
        });
    }

    private static void answer(Exchange x, Runnable respond) {
        x.ctx().executor().execute(() -> {
            if (x.ctx().channel().isActive()) {
                respond.run();
            }
        });
    }
}
