package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.tether.agent.trust.TestPki;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class EdgeTlsTest {
    /**
     * The trust store is loaded late, not left out: an HTTPS edge whose certificate no CA of the Java runtime signed
     * (here one a test CA made, as an attacker on the boot network would) gets no request.
     */
    @Test
    void anHttpsEdgeWhoseCertificateTheRuntimeDoesNotTrustIsRefused() throws Exception {
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        server.setHttpsConfigurator(new HttpsConfigurator(new TestPki("not a public CA").serverContext("localhost")));
        AtomicInteger requests = new AtomicInteger();
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        try (HttpClient client = HttpClient.newBuilder().sslContext(EdgeTls.context()).build()) {
            URI blob = URI.create("https://localhost:" + server.getAddress().getPort() + "/blobs/sha256/00");

            assertThatThrownBy(() -> client.send(HttpRequest.newBuilder(blob).build(), HttpResponse.BodyHandlers.discarding()))
                    .isInstanceOf(SSLHandshakeException.class);
            assertThat(requests).hasValue(0);
        } finally {
            server.stop(0);
        }
    }
}
