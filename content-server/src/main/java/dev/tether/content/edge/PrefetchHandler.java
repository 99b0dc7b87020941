package dev.tether.content.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.content.http.Exchange;
import dev.tether.content.http.SmallBody;
import dev.tether.content.store.Digest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /prefetch} with {@code {"digests":["sha256:…", …]}}: the hook through which the
 * operator (watching DisklessImage status) tells edges that an image was published. Answers 202
 * with the digests queued; the fetches run in the background.
 */
public final class PrefetchHandler {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 64 * 1024;
    private static final int MAX_DIGESTS = 256;

    private final Prefetcher prefetcher;

    public PrefetchHandler(Prefetcher prefetcher) {
        this.prefetcher = prefetcher;
    }

    public void prefetch(Exchange x) {
        SmallBody.read(x, MAX_BODY, this::answer);
    }

    private void answer(Exchange x, byte[] body) {
        List<Digest> digests = new ArrayList<>();
        try {
            JsonNode list = JSON.readTree(body).path("digests");
            if (!list.isArray() || list.size() > MAX_DIGESTS) {
                throw new IllegalArgumentException("expected {\"digests\":[\"sha256:<hex>\", …]} with at most " + MAX_DIGESTS + " entries");
            }
            for (JsonNode d : list) {
                digests.add(Digest.parse(d.asText()));
            }
        } catch (IOException | IllegalArgumentException e) {
            x.respond(HttpResponseStatus.BAD_REQUEST, "bad prefetch request: " + (e instanceof IOException ? "not JSON" : e.getMessage()));
            return;
        }
        ObjectNode out = JSON.createObjectNode();
        var queued = out.putArray("queued");
        prefetcher.prefetch(digests).forEach(d -> queued.add(d.toString()));
        try {
            x.respond(HttpResponseStatus.ACCEPTED, "application/json", JSON.writeValueAsBytes(out));
        } catch (IOException e) {
            x.fail(HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot answer");
        }
    }
}
