package dev.tether.content.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.content.origin.OriginServer;
import dev.tether.content.testing.Blobs;
import dev.tether.content.testing.Nginx;
import dev.tether.content.testing.TestServers;
import dev.tether.contracts.BlobDigest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same range requests on the same file, to nginx and to the content server: the same status,
 * Content-Range and bytes (multipart bodies compared with the boundaries normalised).
 */
class NginxParityTest {
    @TempDir
    static Path dir;
    static Nginx nginx;
    static OriginServer origin;
    static BlobDigest digest;
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        Nginx.requireBinary();
        digest = Blobs.put(dir.resolve("store"), Blobs.random(1 << 20, 99));
        origin = TestServers.origin(dir.resolve("store"));
        nginx = Nginx.serve(dir.resolve("store"), dir.resolve("nginx"));
    }

    @AfterAll
    static void stop() {
        if (nginx != null) {
            nginx.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    record Answer(int status, String contentRange, String body) {
    }

    static Answer ask(int port, String range) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/blobs/sha256/" + digest.hex()));
        if (!range.equals("none")) {
            b.header("Range", range);
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        String type = r.headers().firstValue("content-type").orElse("");
        String body = r.statusCode() == 416 ? "" : new String(r.body(), StandardCharsets.ISO_8859_1);
        if (type.startsWith("multipart/byteranges; boundary=")) {
            body = body.replace(type.substring(type.indexOf('=') + 1), "BOUNDARY");
        }
        return new Answer(r.statusCode(), r.headers().firstValue("content-range").orElse(null), body);
    }

    @ParameterizedTest(name = "Range: {0}")
    @ValueSource(strings = {
            "none", "bytes=0-0", "bytes=0-499", "bytes=500-999", "bytes=-500", "bytes=1048000-", "bytes=0-",
            "bytes=1048575-", "bytes=1048576-", "bytes=-0", "bytes=-2000000", "bytes=1000-2000000", "bytes=5-3",
            "bytes=abc", "bytes=", "bytes=1-2x", "bytes=0-1,", "items=0-1", "bytes= 1-2", "bytes=0-1 , 4-5",
            "bytes=0-1,10-20", "bytes=0-0,-1", "bytes=500-700,601-999", "bytes=0-1048575,0-1048575",
            "bytes=0-1,2000000-", "bytes=0-1,abc", "bytes=99999999999999999999-",
    })
    void answersLikeNginx(String range) throws Exception {
        Answer expected = ask(nginx.port(), range);
        Answer actual = ask(origin.port(), range);
        assertThat(actual.status()).as("status").isEqualTo(expected.status());
        assertThat(actual.contentRange()).as("Content-Range").isEqualTo(expected.contentRange());
        assertThat(actual.body()).as("body").isEqualTo(expected.body());
    }
}
