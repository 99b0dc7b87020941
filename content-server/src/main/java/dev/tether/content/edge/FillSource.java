package dev.tether.content.edge;

import dev.tether.contracts.BlobDigest;
import java.net.URI;

/** A server a fill may fetch from: the origin, or a peer edge (asked only for what it holds). */
public record FillSource(String baseUrl, boolean peer) {

    public FillSource {
        URI u = URI.create(baseUrl);
        if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
            throw new IllegalArgumentException("not an http(s) URL: " + baseUrl);
        }
        baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }

    public URI blobUri(BlobDigest digest) {
        return URI.create(baseUrl + digest.path());
    }

    @Override
    public String toString() {
        return (peer ? "peer " : "origin ") + baseUrl;
    }
}
