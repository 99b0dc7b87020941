package dev.tether.e2e.vm;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.tether.dev.VirtualMachine;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.trust.ClusterCa;
import dev.tether.operator.trust.ServerIdentity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * What someone on the boot network runs to phish a node's key (issue #13): an HTTPS server with a CA of its
 * own and a certificate for the node API's name, which a forged addon archive names. It records every request
 * and every Authorization header, and refuses everything, as a server that only wants the key would.
 */
final class AttackerNodeApi implements AutoCloseable {
    private final HttpsServer server;
    private final String caPem;
    final List<String> requests = new CopyOnWriteArrayList<>();
    final List<String> authorizations = new CopyOnWriteArrayList<>();

    private AttackerNodeApi(HttpsServer server, String caPem) {
        this.server = server;
        this.caPem = caPem;
    }

    /** A CA of its own (kept in a namespace of the test's API server that Tether never reads), on all addresses. */
    static AttackerNodeApi start(KubernetesClient client) throws Exception {
        ClusterCa ca = ClusterCa.loadOrCreate(client, "attacker", "attacker-ca");
        ServerIdentity identity = ca.issueServerCertificate(List.of(NodeApi.SERVER_NAME), Duration.ofDays(1));
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", identity.privateKey(), new char[0],
                new Certificate[] {identity.certificate(), identity.ca()});
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(keys, new char[0]);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(factory.getKeyManagers(), null, null);

        HttpsServer server = HttpsServer.create(new InetSocketAddress(0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        AttackerNodeApi attacker = new AttackerNodeApi(server, ca.certificatePem());
        server.createContext("/", exchange -> {
            attacker.requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            String authorization = exchange.getRequestHeaders().getFirst(NodeApi.AUTHORIZATION);
            if (authorization != null) {
                attacker.authorizations.add(authorization);
            }
            exchange.getRequestBody().readAllBytes();
            byte[] body = "{\"error\":\"NotFound\",\"message\":\"nothing here\"}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(404, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return attacker;
    }

    /** The URL {@code vm} reaches this server at (it listens on every address of the host). */
    String urlFrom(VirtualMachine vm) {
        return "https://" + vm.hostFromGuest() + ":" + server.getAddress().getPort();
    }

    String caPem() {
        return caPem;
    }

    @Override
    public void close() throws IOException {
        server.stop(0);
    }
}
