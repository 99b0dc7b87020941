package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.OperatorConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** A client that trickles its request is cut off at the request deadline, although every byte resets the idle timer. */
class NodeApiSlowClientTest extends NodeApiTestBase {

    @Override
    UnaryOperator<OperatorConfig> settings() {
        return c -> c.withNodeApi(c.nodeApi().withRequestTimeout(Duration.ofSeconds(1)));
    }

    @Test
    void aClientTricklingItsHeadIsCutOffAtTheDeadline() throws Exception {
        try (var socket = api.connect()) {
            // One header byte per poll, never a whole head. The deadline is 1 s; without it, this runs into the 20 s
            // limit and fails.
            int first = SlowClient.trickleUntilClosed(socket, ("GET " + NodeApi.path(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG)
                    + " HTTP/1.1\r\nHost: tether-node-api\r\n").getBytes(StandardCharsets.US_ASCII), Duration.ofSeconds(20));
            assertThat(first).as("closed without an answer").isEqualTo(-1);
        }
    }

    @Test
    void aKeptAliveConnectionIsAnsweredThenClosedWhenNoNextRequestComesInTime() throws Exception {
        // No "Connection: close": the answer keeps the connection, and the re-armed deadline (not the 30 s idle timer,
        // which is also the client's read timeout) ends it, so reading to the end returns.
        String request = "GET " + NodeApi.path(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG) + " HTTP/1.1\r\nHost: tether-node-api\r\n\r\n";

        var response = api.exchange(request.getBytes(StandardCharsets.US_ASCII), null);

        assertThat(response.status()).isEqualTo(401);
    }
}
