package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.content.edge.EdgeServer;
import dev.tether.content.edge.FillSettings;
import dev.tether.content.http.HttpSettings;
import dev.tether.nodeapi.ApiKeyIssued;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.BootReport;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.OperatorConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes reach the node API through a real edge that names each node's address in a PROXY protocol v2 header; the
 * node API trusts that header from the edge's address (127.0.0.1) only. Clients connect from distinct loopback
 * addresses: the node from 127.0.0.7, strangers from others.
 */
class NodeApiBehindEdgeTest extends NodeApiTestBase {
    private static final String WRONG_KEY = "tk_" + "A".repeat(43);

    @TempDir
    Path dir;
    EdgeServer edge;
    NodeApiTestClient node;

    @Override
    UnaryOperator<OperatorConfig> settings() {
        return c -> c.withNodeApi(c.nodeApi().withFailureLimits(3, 6, Duration.ofHours(1)).withTrustedProxies(List.of("127.0.0.1/32")));
    }

    @BeforeEach
    void startEdge() throws Exception {
        var loopback = new InetSocketAddress("127.0.0.1", 0);
        edge = EdgeServer.start(new EdgeServer.Config(dir.resolve("cache"), 1L << 30, "http://127.0.0.1:9", List.of(), loopback,
                loopback, server.address(), null, Duration.ofSeconds(1), null, HttpSettings.defaults(), FillSettings.defaults(),
                Duration.ofMinutes(1), 1, null, java.time.InstantSource.system(), true));
        node = throughEdge("127.0.0.7");
    }

    @AfterEach
    void stopEdge() {
        if (edge != null) {
            edge.close();
        }
    }

    @Test
    void strangersFailingBehindTheSameEdgeDoNotGetTheNode429() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String key = issuedKey(node);
        var stranger = throughEdge("127.0.0.66");

        var answers = new java.util.ArrayList<Integer>();
        for (int i = 0; i < 20; i++) {
            answers.add(stranger.get(NAMESPACE, "made-up-" + i, NodeApi.BOOT_CONFIG, WRONG_KEY).status());
        }

        assertThat(answers).as("the stranger's own budget runs out").startsWith(401, 401, 401, 401, 401, 401).endsWith(429);
        assertThat(report(node, key)).as("the node behind the same edge is served").isEqualTo(204);
        assertThat(logs.text()).as("refusals name the stranger, not the edge").contains("from 127.0.0.66");
    }

    @Test
    void wrongKeysForANodeDoNotStopTheNodeThatHasItsKey() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String key = issuedKey(node);

        for (int i = 0; i < 10; i++) {
            int status = throughEdge("127.0.0." + (100 + i)).get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, WRONG_KEY).status();
            assertThat(status).isIn(401, 429);
        }
        var wrongAgain = throughEdge("127.0.0.99").get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, WRONG_KEY);

        assertThat(wrongAgain.status()).as("wrong keys for the node are slowed down").isEqualTo(429);
        assertThat(report(node, key)).as("the right key is checked and accepted all the same").isEqualTo(204);
        assertThat(report(throughEdge("127.0.0.8"), key)).as("from any address").isEqualTo(204);
    }

    @Test
    void aProxyHeaderFromAPeerThatIsNoTrustedEdgeIsRefused() throws Exception {
        var direct = api.at(server.address(), "127.0.0.9");
        var forging = direct.withPreface(proxyHeader("127.0.0.7"));

        assertThatThrownBy(forging::connect).as("closed before TLS").isInstanceOf(IOException.class);
        assertThat(direct.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, WRONG_KEY).status())
                .as("the same peer without a header is its own client").isEqualTo(401);
        eventually(() -> assertThat(refusedConnections("untrusted")).isEqualTo(1.0));
    }

    @Test
    void aConnectionFromATrustedEdgeWithoutAHeaderIsRefused() throws Exception {
        var edgeAddressWithoutHeader = api.at(server.address(), "127.0.0.1");

        assertThatThrownBy(edgeAddressWithoutHeader::connect).isInstanceOf(IOException.class);
        eventually(() -> assertThat(refusedConnections("malformed")).isEqualTo(1.0));
    }

    /** Counted after the close in some cases, so tests wait for it. */
    private double refusedConnections(String reason) {
        var counter = harness.operator().metrics().find("tether.nodeapi.proxy.refused").tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    private NodeApiTestClient throughEdge(String from) throws IOException {
        return api.at(new InetSocketAddress("127.0.0.1", edge.apiPort()), from);
    }

    private static String issuedKey(NodeApiTestClient client) throws Exception {
        var response = client.post(NAMESPACE, "node-001", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null));
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        return response.as(ApiKeyIssued.class).apiKey();
    }

    private static int report(NodeApiTestClient client, String key) throws IOException {
        return client.post(NAMESPACE, "node-001", NodeApi.BOOT_REPORT, key,
                new BootReport(DIGEST, "tethered", "network", Map.of("initramfs", 1200L), null)).status();
    }

    private static byte[] proxyHeader(String client) {
        var encoder = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
        encoder.writeOutbound(new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY, HAProxyProxiedProtocol.TCP4,
                client, "127.0.0.1", 40000, 8443));
        ByteBuf bytes = encoder.readOutbound();
        try {
            return ByteBufUtil.getBytes(bytes);
        } finally {
            bytes.release();
        }
    }
}
