package dev.tether.content.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.content.store.BearerToken;
import dev.tether.content.store.BlobSource;
import dev.tether.content.store.BlobStore;
import dev.tether.content.store.Digest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code GET /blobs} (either role) and {@code DELETE /blobs/sha256/<hex>} (origin, with its own token; never a build's grant). */
public final class StoreAdminHandler {
    private static final Logger log = LoggerFactory.getLogger(StoreAdminHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BlobSource source;
    private final BlobStore store;
    private final BearerToken token;

    /** @param store and {@code token} are null on an edge, which deletes nothing on request */
    public StoreAdminHandler(BlobSource source, BlobStore store, BearerToken token) {
        this.source = source;
        this.store = store;
        this.token = token;
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
        Digest digest = Digest.ofHexOrNull(hex);
        if (digest == null) {
            x.respond(HttpResponseStatus.BAD_REQUEST, "not a blob address: expected /blobs/sha256/<64 lowercase hex characters>");
            return;
        }
        try {
            if (store.delete(digest)) {
                log.info("deleted {}", digest);
                x.respond(HttpResponseStatus.NO_CONTENT, "text/plain", new byte[0]);
            } else {
                x.respond(HttpResponseStatus.NOT_FOUND, "no blob " + digest + " here");
            }
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", digest, e.toString());
            x.respond(HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot delete " + digest + "; the server log has the details");
        }
    }
}
