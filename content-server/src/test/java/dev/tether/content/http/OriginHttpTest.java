package dev.tether.content.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.content.origin.OriginServer;
import dev.tether.content.testing.Blobs;
import dev.tether.content.testing.RawHttp;
import dev.tether.content.testing.TestServers;
import dev.tether.contracts.BlobDigest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** GET and HEAD over real loopback sockets: ranges, conditionals, keep-alive, bad input. */
class OriginHttpTest {
    @TempDir
    static Path dir;
    static OriginServer origin;
    static byte[] content;
    static BlobDigest digest;
    static HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        content = Blobs.random(10_000, 1);
        digest = Blobs.put(dir.resolve("store"), content);
        Files.writeString(dir.resolve("secret.txt"), "outside the store");
        origin = TestServers.origin(dir.resolve("store"));
    }

    @AfterAll
    static void stop() {
        origin.close();
    }

    static String blobPath() {
        return "/blobs/sha256/" + digest.hex();
    }

    static HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(TestServers.url(origin.port()) + path));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void servesTheWholeBlobWithItsStrongEtag() throws Exception {
        HttpResponse<byte[]> r = get(blobPath());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(content);
        assertThat(r.headers().firstValue("etag")).hasValue("\"sha256:" + digest.hex() + "\"");
        assertThat(r.headers().firstValue("accept-ranges")).hasValue("bytes");
        assertThat(r.headers().firstValue("content-length")).hasValue("10000");
    }

    @Test
    void headSendsTheHeadersOnly() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("HEAD " + blobPath() + " HTTP/1.1\r\nHost: t\r\nRange: bytes=0-9\r\n\r\n");
            RawHttp.Response head = c.read(true);
            assertThat(head.status()).isEqualTo(206);
            assertThat(head.header("content-length")).isEqualTo("10");
            assertThat(head.header("content-range")).isEqualTo("bytes 0-9/10000");
            // The connection carries on right after the head: no body bytes were sent.
            c.send(RawHttp.get("/healthz"));
            assertThat(c.read().status()).isEqualTo(200);
        }
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource(delimiter = '|', nullValues = "null", textBlock = """
            bytes=0-499       | 206 | bytes 0-499/10000
            bytes=500-999     | 206 | bytes 500-999/10000
            bytes=-500        | 206 | bytes 9500-9999/10000
            bytes=9500-       | 206 | bytes 9500-9999/10000
            bytes=9000-20000  | 206 | bytes 9000-9999/10000
            bytes=10000-      | 416 | bytes */10000
            bytes=-0          | 416 | bytes */10000
            bytes=abc         | 416 | bytes */10000
            items=0-1         | 200 | null
            """)
    void answersSingleRangesPerRfc9110(String range, int status, String contentRange) throws Exception {
        HttpResponse<byte[]> r = get(blobPath(), "Range", range);
        assertThat(r.statusCode()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-range").orElse(null)).isEqualTo(contentRange);
        if (status == 206) {
            String[] span = contentRange.substring(6, contentRange.indexOf('/')).split("-");
            int first = Integer.parseInt(span[0]);
            int last = Integer.parseInt(span[1]);
            assertThat(r.body()).isEqualTo(Arrays.copyOfRange(content, first, last + 1));
        } else if (status == 200) {
            assertThat(r.body()).isEqualTo(content);
        }
    }

    @Test
    void answersSeveralRangesAsMultipartByteranges() throws Exception {
        HttpResponse<byte[]> r = get(blobPath(), "Range", "bytes=0-0,-1");
        assertThat(r.statusCode()).isEqualTo(206);
        String type = r.headers().firstValue("content-type").orElseThrow();
        assertThat(type).startsWith("multipart/byteranges; boundary=");
        String boundary = type.substring(type.indexOf('=') + 1);
        String body = new String(r.body(), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(body).isEqualTo("\r\n--" + boundary + "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-0/10000\r\n\r\n"
                + (char) (content[0] & 0xff)
                + "\r\n--" + boundary + "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 9999-9999/10000\r\n\r\n"
                + (char) (content[9999] & 0xff) + "\r\n--" + boundary + "--\r\n");
        assertThat(r.headers().firstValue("content-length")).hasValue(Integer.toString(r.body().length));
    }

    @Test
    void ifRangeWithTheEtagKeepsTheRangeAndAnyOtherValueGetsTheWholeBlob() throws Exception {
        HttpResponse<byte[]> match = get(blobPath(), "Range", "bytes=0-9", "If-Range", digest.etag());
        assertThat(match.statusCode()).isEqualTo(206);
        assertThat(match.body()).hasSize(10);
        HttpResponse<byte[]> mismatch = get(blobPath(), "Range", "bytes=0-9", "If-Range", "\"sha256:" + "0".repeat(64) + "\"");
        assertThat(mismatch.statusCode()).isEqualTo(200);
        assertThat(mismatch.body()).isEqualTo(content);
    }

    @Test
    void ifNoneMatchWithTheEtagIsNotModified() throws Exception {
        HttpResponse<byte[]> r = get(blobPath(), "If-None-Match", digest.etag());
        assertThat(r.statusCode()).isEqualTo(304);
        assertThat(r.body()).isEmpty();
    }

    @Test
    void keepAliveCarriesManyRequestsAndPipelinedOnesAnswerInOrder() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            for (int i = 0; i < 5; i++) {
                c.send(RawHttp.get(blobPath(), "Range: bytes=" + i + "-" + i));
                RawHttp.Response r = c.read();
                assertThat(r.status()).isEqualTo(206);
                assertThat(r.body()).containsExactly(content[i]);
            }
            c.send(RawHttp.get(blobPath(), "Range: bytes=0-1") + RawHttp.get("/nope") + RawHttp.get(blobPath(), "Range: bytes=2-3"));
            assertThat(c.read().body()).containsExactly(content[0], content[1]);
            assertThat(c.read().status()).isEqualTo(404);
            assertThat(c.read().body()).containsExactly(content[2], content[3]);
        }
    }

    @Test
    void concurrentClientsEachGetTheirOwnBytes() throws Exception {
        byte[] big = Blobs.random(4 << 20, 7);
        BlobDigest d = Blobs.put(dir.resolve("store"), big);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                results.add(pool.submit(() -> {
                    int first = ThreadLocalRandom.current().nextInt(big.length - 1);
                    int last = Math.min(big.length - 1, first + ThreadLocalRandom.current().nextInt(1 << 20));
                    HttpResponse<byte[]> r = get("/blobs/sha256/" + d.hex(), "Range", "bytes=" + first + "-" + last);
                    return r.statusCode() == 206 && Arrays.equals(r.body(), Arrays.copyOfRange(big, first, last + 1));
                }));
            }
            for (Future<Boolean> f : results) {
                assertThat(f.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "/blobs/sha256/../../secret.txt",
            "/blobs/sha256/..%2f..%2fsecret.txt",
            "/blobs/sha256/%2e%2e/%2e%2e/secret.txt",
            "/blobs/sha256/ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
            "/blobs/sha256/abc",
            "/blobs/sha256/",
            "/blobs/sha256/0000000000000000000000000000000000000000000000000000000000000000/x",
    })
    void refusesPathsThatAreNotADigest(String path) throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send(RawHttp.get(path));
            RawHttp.Response r = c.read();
            assertThat(r.status()).isIn(400, 404);
            assertThat(r.text()).doesNotContain("outside the store");
        }
    }

    @Test
    void aDigestNotHeldIsNotFound() throws Exception {
        assertThat(get("/blobs/sha256/" + "0".repeat(64)).statusCode()).isEqualTo(404);
    }

    @Test
    void hugeHeadersAndRequestLinesAreRefusedAndTheConnectionClosed() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("GET " + blobPath() + " HTTP/1.1\r\nHost: t\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(431);
            assertThat(c.closedByServer()).isTrue();
        }
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(414);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void garbageIsABadRequest() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: nope\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(400);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void aSlowlorisIsCutOffAfterTheRequestHeadTimeout() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("GET " + blobPath() + " HTTP/1.1\r\n");
            // A header line every 100 ms (pacing, a slow client), each well inside any idle timeout: only a deadline on
            // the whole head (800 ms in tests) ends this. A write fails once the server has closed the connection.
            int drips = 0;
            for (; drips < 100; drips++) {
                try {
                    c.send("X-Drip-" + drips + ": 1\r\n");
                } catch (IOException closed) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(drips).as("header lines the server took before closing; 100 means it never closed").isLessThan(100);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosed() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send(RawHttp.get("/healthz"));
            assertThat(c.read().status()).isEqualTo(200);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void otherMethodsAreNotAllowed() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("POST " + blobPath() + " HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(405);
            assertThat(r.header("allow")).isEqualTo("GET, HEAD, PUT, DELETE");
        }
    }

    @Test
    void healthReadinessAndMetrics() throws Exception {
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
        assertThat(get("/readyz").statusCode()).isEqualTo(200);
        get(blobPath());
        String metrics = new String(get("/metrics").body());
        assertThat(metrics).contains("tether_http_requests_total{method=\"GET\",status=\"200\"}")
                .contains("tether_http_sent_bytes_total").contains("tether_http_connections_open");
    }
}
