package dev.tether.operator.image;

import dev.tether.contracts.BlobDigest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Supplier;

/** The operator's side of the origin: it removes the blobs of versions no node needs any more. */
public class OriginClient {
    /**
     * The origin kept the blob because a build in progress claimed it (409): that build will name it in the version it
     * publishes. Not a failure: the collection tries again later, by when the new version counts the blob as referenced
     * or the claim has expired.
     */
    public static final class BlobClaimed extends IOException {
        private final Duration retryAfter;

        BlobClaimed(String message, Duration retryAfter) {
            super(message);
            this.retryAfter = retryAfter;
        }

        /** Until the claim expires, as the origin said (Retry-After); at least one second. */
        public Duration retryAfter() {
            return retryAfter;
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String originUrl;
    private final Supplier<String> token;

    public OriginClient(String originUrl, Supplier<String> token) {
        this.originUrl = originUrl.replaceAll("/+$", "");
        this.token = token;
    }

    /**
     * Deletes one blob; a blob already gone counts as deleted.
     *
     * @throws BlobClaimed when a build in progress has claimed it (409), so it stays
     */
    public void delete(String digest) throws IOException {
        // Strict: the digest becomes part of the URL.
        var request = HttpRequest.newBuilder(URI.create(originUrl + BlobDigest.parse(digest).path()))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token.get())
                .DELETE()
                .build();
        try {
            var response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 409) {
                long seconds = response.headers().firstValue("Retry-After").filter(v -> v.matches("[0-9]{1,9}"))
                        .map(Long::parseLong).orElse(60L);
                throw new BlobClaimed(oneLine(response.body()), Duration.ofSeconds(Math.max(1, seconds)));
            }
            if (response.statusCode() / 100 != 2 && response.statusCode() != 404) {
                throw new IOException("origin answered " + response.statusCode() + " to DELETE " + digest + ": " + oneLine(response.body()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while deleting " + digest, e);
        }
    }

    private static String oneLine(String body) {
        String text = body == null ? "" : body.strip().replaceAll("\\s+", " ");
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }
}
