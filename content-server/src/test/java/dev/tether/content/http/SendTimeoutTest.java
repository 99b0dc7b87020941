package dev.tether.content.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.content.origin.OriginServer;
import dev.tether.content.store.BearerToken;
import dev.tether.content.testing.Blobs;
import dev.tether.content.testing.TestServers;
import dev.tether.contracts.BlobDigest;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The send timeout bounds a pause in a response's progress, not its length: a large file read steadily but slowly
 * (a hundred nodes sharing an edge's link in a boot storm) arrives whole however long it takes; a reader that stops
 * reading is still cut off.
 */
class SendTimeoutTest {
    private static final int SIZE = 24 << 20;
    @TempDir
    static Path dir;
    static OriginServer origin;
    static BlobDigest digest;

    @BeforeAll
    static void start() throws Exception {
        digest = Blobs.put(dir.resolve("store"), Blobs.random(SIZE, 7));
        HttpSettings oneSecond = HttpSettings.defaults().withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(1));
        origin = OriginServer.start(new OriginServer.Config(dir.resolve("store"), BearerToken.of(TestServers.TOKEN),
                TestServers.loopback(), null, oneSecond, 2));
    }

    @AfterAll
    static void stop() {
        origin.close();
    }

    private static Socket request() throws IOException {
        Socket socket = new Socket();
        // A small window, so the server's writes wait on this reader rather than fill the kernel's buffers at once.
        socket.setReceiveBufferSize(16 * 1024);
        socket.connect(new InetSocketAddress("127.0.0.1", origin.port()), 5_000);
        socket.getOutputStream().write(("GET /blobs/sha256/" + digest.hex() + " HTTP/1.1\r\nHost: t\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    /** The connections the origin holds open besides the one asking, from its metrics. */
    private static double openConnections() throws Exception {
        try (var http = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build()) {
            String metrics = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(TestServers.url(origin.port()) + "/metrics"))
                    .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            var m = java.util.regex.Pattern.compile("(?m)^tether_http_connections_open(?:\\{[^}]*})? ([0-9.Ee+]+)$").matcher(metrics);
            return m.find() ? Double.parseDouble(m.group(1)) - 1 : -1;
        }
    }

    @Test
    void aLargeFileReadSlowlyButSteadilyArrivesWholePastTheSendTimeout() throws Exception {
        try (Socket socket = request()) {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[64 * 1024];
            long total = 0;
            long start = System.nanoTime();
            // About 6 MB a second: the 24 MiB body takes four times the one-second send timeout.
            for (int n; (n = in.read(buffer)) > 0; ) {
                total += n;
                long due = start + total * 1_000_000_000L / (6L << 20);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                if (total >= SIZE + 100) {
                    break;
                }
            }
            // Headers and the whole body, then nothing cut short.
            assertThat(total).isGreaterThan(SIZE);
        }
    }

    @Test
    void aReaderThatStopsReadingIsCutOff() throws Exception {
        try (Socket socket = request()) {
            InputStream in = socket.getInputStream();
            in.readNBytes(64 * 1024);
            // Stops reading until the server has closed the connection; reading on then finds its end, not the whole body.
            await().atMost(Duration.ofSeconds(30)).until(() -> openConnections() == 0);
            long rest = 0;
            byte[] buffer = new byte[64 * 1024];
            try {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    rest += n;
                }
            } catch (IOException reset) {
                // A reset is a close too.
            }
            assertThat(64 * 1024 + rest).isLessThan(SIZE);
        }
    }
}
