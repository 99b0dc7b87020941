package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.nodeapi.NodeApi;
import dev.tether.nodeapi.PersistenceKey;
import dev.tether.operator.OperatorConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * An upload that trickles in holds a connection, an upload slot and a partial file: it is cut off at its deadline (the
 * request timeout plus its limit at the slowest rate kept), and its partial file is removed.
 */
class NodeApiPersistenceSlowUploadTest extends NodeApiTestBase {
    @Override
    UnaryOperator<OperatorConfig> settings() {
        return c -> c.withNodeApi(c.nodeApi().withRequestTimeout(Duration.ofSeconds(5)));
    }

    @Test
    void anUploadTricklingInIsCutOffAtItsDeadlineAndLeavesNothing() throws Exception {
        profile("compute", "bookworm");
        mergePatch("compute", "{\"spec\":{\"persistence\":{\"maxBytes\":\"4Ki\"}}}");
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");
        PersistenceKey grant = api.get(NAMESPACE, "node-001", NodeApi.PERSISTENCE_KEY, key).as(PersistenceKey.class);

        try (var socket = api.connect()) {
            // One body byte per poll: only the upload's deadline (5 s + 4 KiB at 256 KiB/s, about 5 s; 5 s and not less,
            // so that the key issue above answers in time on a busy machine) ends it; without one, this runs into the
            // 60 s limit and fails.
            int first = SlowClient.trickleUntilClosed(socket, ("PUT " + NodeApi.path(NAMESPACE, "node-001", NodeApi.PERSISTENCE)
                    + "?generation=1 HTTP/1.1\r\nHost: " + NodeApi.SERVER_NAME + "\r\nAuthorization: Bearer " + grant.token()
                    + "\r\nContent-Length: 4096\r\n\r\n").getBytes(StandardCharsets.US_ASCII), Duration.ofSeconds(60));
            assertThat(first).as("closed without an answer").isEqualTo(-1);
        }
        try (var walk = Files.walk(harness.persistenceDir)) {
            assertThat(walk.filter(Files::isRegularFile).toList()).as("no partial file left").isEmpty();
        }
        // The slot and the node's upload are free again: a whole upload goes through.
        byte[] archive = new byte[4096];
        String head = "PUT " + NodeApi.path(NAMESPACE, "node-001", NodeApi.PERSISTENCE) + "?generation=1 HTTP/1.1\r\nHost: "
                + NodeApi.SERVER_NAME + "\r\nAuthorization: Bearer " + grant.token() + "\r\nContent-Length: 4096\r\n\r\n";
        assertThat(api.exchange(head.getBytes(StandardCharsets.US_ASCII), archive).status()).isEqualTo(200);
    }
}
