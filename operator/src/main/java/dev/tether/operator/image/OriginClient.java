package dev.tether.operator.image;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Supplier;

/** The operator's side of the origin: it removes the blobs of versions no node needs any more. */
public class OriginClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String originUrl;
    private final Supplier<String> token;

    public OriginClient(String originUrl, Supplier<String> token) {
        this.originUrl = originUrl.replaceAll("/+$", "");
        this.token = token;
    }

    /** Deletes one blob; a blob already gone counts as deleted. */
    public void delete(String digest) throws IOException {
        if (!digest.matches("^sha256:[a-f0-9]{64}$")) {
            throw new IllegalArgumentException("not a digest: " + digest);
        }
        var request = HttpRequest.newBuilder(URI.create(originUrl + "/blobs/sha256/" + digest.substring(7)))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token.get())
                .DELETE()
                .build();
        try {
            var response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2 && response.statusCode() != 404) {
                throw new IOException("origin answered " + response.statusCode() + " to DELETE " + digest + ": " + response.body().strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while deleting " + digest, e);
        }
    }
}
