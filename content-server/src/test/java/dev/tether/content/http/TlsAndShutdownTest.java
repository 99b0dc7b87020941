package dev.tether.content.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.content.origin.OriginServer;
import dev.tether.content.server.TlsContexts;
import dev.tether.content.store.BearerToken;
import dev.tether.content.testing.Blobs;
import dev.tether.content.testing.RawHttp;
import dev.tether.content.testing.TestServers;
import dev.tether.contracts.BlobDigest;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import javax.net.ssl.HttpsURLConnection;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsAndShutdownTest {
    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("deprecation") // SelfSignedCertificate: the simplest certificate for a loopback test
    void servesRangesOverTls() throws Exception {
        byte[] content = Blobs.random(3 << 20, 51);
        BlobDigest d = Blobs.put(dir, content);
        SelfSignedCertificate cert = new SelfSignedCertificate("localhost");
        // Production timeouts: on a busy machine a TLS handshake can outlast the 800 ms request-head timeout of
        // the timeout tests, and this test is about TLS.
        try (OriginServer origin = OriginServer.start(new OriginServer.Config(dir, BearerToken.of("t"), TestServers.loopback(),
                TlsContexts.server(cert.certificate().toPath(), cert.privateKey().toPath()), HttpSettings.defaults(), 2))) {
            URL url = URI.create("https://127.0.0.1:" + origin.port() + "/blobs/sha256/" + d.hex()).toURL();
            HttpsURLConnection range = open(url);
            range.setRequestProperty("Range", "bytes=1000-2000000");
            assertThat(range.getResponseCode()).isEqualTo(206);
            try (InputStream in = range.getInputStream()) {
                assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(content, 1000, 2_000_001));
            }
            HttpsURLConnection whole = open(url);
            try (InputStream in = whole.getInputStream()) {
                assertThat(in.readAllBytes()).isEqualTo(content);
            }
        } finally {
            cert.delete();
        }
    }

    @Test
    void shutdownLetsAnInFlightDownloadFinishAndStopsAccepting() throws Exception {
        byte[] content = Blobs.random(32 << 20, 52);
        BlobDigest d = Blobs.put(dir, content);
        OriginServer origin = TestServers.origin(dir);
        try (Socket s = new Socket("127.0.0.1", origin.port())) {
            s.setReceiveBufferSize(64 * 1024);
            s.getOutputStream().write(RawHttp.get("/blobs/sha256/" + d.hex()).getBytes());
            InputStream in = s.getInputStream();
            byte[] head = new byte[64];
            assertThat(in.read(head)).isPositive();

            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> origin.shutdown(Duration.ofSeconds(20)),
                    Executors.newSingleThreadExecutor());
            // Shutting down closes the listener first: wait until a new connection is refused ...
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThatThrownBy(() -> new Socket("127.0.0.1", origin.port()).close()).isInstanceOf(IOException.class));
            // ... while the download already under way holds the shutdown open.
            assertThat(shutdown).isNotDone();

            // Read the rest slowly; the server must not cut it.
            long total = 0;
            byte[] buf = new byte[256 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
                Thread.sleep(2); // pacing: a slow client, not a wait for an event
            }
            assertThat(total).isGreaterThanOrEqualTo(content.length);
            shutdown.get(10, TimeUnit.SECONDS);
        } finally {
            origin.close();
        }
    }

    /** The self-signed test certificate names no IP address: trust it as it is. */
    static HttpsURLConnection open(URL url) throws Exception {
        HttpsURLConnection c = (HttpsURLConnection) url.openConnection();
        c.setSSLSocketFactory(trustAll().getSocketFactory());
        c.setHostnameVerifier((host, session) -> true);
        return c;
    }

    static SSLContext trustAll() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return ctx;
    }
}
