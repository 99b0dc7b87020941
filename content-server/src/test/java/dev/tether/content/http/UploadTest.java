package dev.tether.content.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.content.origin.OriginServer;
import dev.tether.content.testing.Blobs;
import dev.tether.content.testing.RawHttp;
import dev.tether.content.testing.TestServers;
import dev.tether.contracts.BlobDigest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PUT, DELETE and the listing: nothing becomes visible unless its digest matched. */
class UploadTest {
    @TempDir
    Path dir;
    OriginServer origin;
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() throws Exception {
        origin = TestServers.origin(dir);
    }

    @AfterEach
    void stop() {
        origin.close();
    }

    HttpResponse<String> put(BlobDigest d, byte[] body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(TestServers.url(origin.port()) + "/blobs/sha256/" + d.hex()))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Everything in the store directory, temporary files included. */
    Stream<String> storeFiles() throws Exception {
        return Files.list(dir.resolve("blobs/sha256")).map(p -> p.getFileName().toString());
    }

    @Test
    void anUploadWithTheRightDigestBecomesVisible() throws Exception {
        byte[] body = Blobs.random(300_000, 3);
        BlobDigest d = Blobs.digestOf(body);
        HttpResponse<String> r = put(d, body, TestServers.TOKEN);
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("location")).hasValue("/blobs/sha256/" + d.hex());
        HttpResponse<byte[]> got = http.send(HttpRequest.newBuilder(URI.create(TestServers.url(origin.port()) + "/blobs/sha256/" + d.hex()))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(got.body()).isEqualTo(body);
        assertThat(storeFiles()).containsExactly(d.hex());

        HttpResponse<String> again = put(d, body, TestServers.TOKEN);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).contains("already stored");

        String list = http.send(HttpRequest.newBuilder(URI.create(TestServers.url(origin.port()) + "/blobs")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(list).isEqualTo("{\"blobs\":[{\"digest\":\"" + d + "\",\"size\":300000}]}");
    }

    @Test
    void aMismatchedDigestIsRefusedAndLeavesNothing() throws Exception {
        byte[] body = Blobs.random(100_000, 4);
        BlobDigest other = Blobs.digestOf(Blobs.random(10, 5));
        HttpResponse<String> r = put(other, body, TestServers.TOKEN);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("digest mismatch").contains(Blobs.digestOf(body).toString());
        assertThat(storeFiles()).isEmpty();
    }

    @Test
    void uploadsNeedTheToken() throws Exception {
        byte[] body = Blobs.random(1000, 6);
        BlobDigest d = Blobs.digestOf(body);
        assertThat(put(d, body, null).statusCode()).isEqualTo(401);
        HttpResponse<String> wrong = put(d, body, "not-the-token");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).doesNotContain(TestServers.TOKEN);
        assertThat(storeFiles()).isEmpty();
    }

    @Test
    void anUploadLargerThanItsContentLengthLeavesNothing() throws Exception {
        // The client's blob is 2000 bytes but it declares 1000: the 1000 read do not hash to the digest.
        byte[] body = Blobs.random(2000, 8);
        BlobDigest d = Blobs.digestOf(body);
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send(("PUT /blobs/sha256/" + d.hex() + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + TestServers.TOKEN
                    + "\r\nContent-Length: 1000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            c.send(body);
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.text()).contains("digest mismatch");
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(storeFiles()).isEmpty();
    }

    @Test
    void anInterruptedUploadLeavesNothing() throws Exception {
        byte[] body = Blobs.random(1 << 20, 9);
        BlobDigest d = Blobs.digestOf(body);
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send(("PUT /blobs/sha256/" + d.hex() + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + TestServers.TOKEN
                    + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            c.send(Arrays.copyOf(body, body.length / 2));
            // Half the body is in: the upload is under way in a temporary file, not yet in the store.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(storeFiles()).hasSize(1).allMatch(n -> n.startsWith(".upload-")));
        }
        awaitEmptyStore();
        assertThat(origin.store().contains(d)).isFalse();
    }

    @Test
    void aStalledUploadTimesOutAndLeavesNothing() throws Exception {
        byte[] body = Blobs.random(100_000, 10);
        BlobDigest d = Blobs.digestOf(body);
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send(("PUT /blobs/sha256/" + d.hex() + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + TestServers.TOKEN
                    + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            c.send(Arrays.copyOf(body, 1000));
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(408);
            assertThat(c.closedByServer()).isTrue();
        }
        awaitEmptyStore();
    }

    @Test
    void refusesUploadsWithoutALengthOrTooLarge() throws Exception {
        BlobDigest d = Blobs.digestOf(new byte[] {1});
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("PUT /blobs/sha256/" + d.hex() + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + TestServers.TOKEN
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(411);
        }
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("PUT /blobs/sha256/" + d.hex() + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + TestServers.TOKEN
                    + "\r\nContent-Length: " + (1L << 40) + "\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(413);
            assertThat(c.closedByServer()).isTrue();
        }
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("PUT /blobs/sha256/nothex HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + TestServers.TOKEN
                    + "\r\nContent-Length: 1\r\n\r\nx");
            assertThat(c.read().status()).isEqualTo(400);
        }
        assertThat(storeFiles()).isEmpty();
    }

    @Test
    void expectContinueIsAnsweredAfterTheChecks() throws Exception {
        byte[] body = Blobs.random(5000, 11);
        BlobDigest d = Blobs.digestOf(body);
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("PUT /blobs/sha256/" + d.hex() + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + TestServers.TOKEN
                    + "\r\nExpect: 100-continue\r\nContent-Length: " + body.length + "\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(100);
            c.send(body);
            assertThat(c.read().status()).isEqualTo(201);
        }
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("PUT /blobs/sha256/" + d.hex() + " HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(401);
        }
    }

    @Test
    void deleteNeedsTheTokenAndRemovesTheBlob() throws Exception {
        BlobDigest d = Blobs.put(dir, Blobs.random(100, 12));
        URI uri = URI.create(TestServers.url(origin.port()) + "/blobs/sha256/" + d.hex());
        assertThat(http.send(HttpRequest.newBuilder(uri).DELETE().build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(401);
        assertThat(origin.store().contains(d)).isTrue();
        HttpRequest delete = HttpRequest.newBuilder(uri).DELETE().header("Authorization", "Bearer " + TestServers.TOKEN).build();
        assertThat(http.send(delete, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(204);
        assertThat(origin.store().contains(d)).isFalse();
        assertThat(http.send(delete, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
    }

    private void awaitEmptyStore() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(storeFiles()).isEmpty());
    }
}
