package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.OperatorConfig;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Refusals spend a per-node and a per-source budget; a spent budget is answered 429 with Retry-After. */
class NodeApiRateLimitTest extends NodeApiTestBase {

    @Override
    UnaryOperator<OperatorConfig> settings() {
        return c -> c.withNodeApi(c.nodeApi().withFailureLimits(3, 6, Duration.ofHours(1)));
    }

    @Test
    void guessingANodesKeyIsSlowedDownAndTheAdministratorIsToldButTheRightKeyStillWorks() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");
        String wrong = "tk_" + "A".repeat(43);

        for (int i = 0; i < 3; i++) {
            assertThat(api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, wrong).status()).isEqualTo(401);
        }
        var limited = api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, wrong);
        var rightKey = api.post(NAMESPACE, "node-001", NodeApi.BOOT_REPORT, key,
                new dev.tether.nodeapi.BootReport(DIGEST, "tethered", "network", java.util.Map.of(), null));

        assertThat(limited.status()).as("a wrong key waits until the budget refills").isEqualTo(429);
        assertThat(limited.error().error()).isEqualTo("RateLimited");
        assertThat(Long.parseLong(limited.header("Retry-After"))).isBetween(1L, 3600L);
        assertThat(rightKey.status()).as("the node's own key is checked and accepted all the same").isEqualTo(204);
        eventually(() -> assertThat(eventsAbout("NodeCredential", "node-001")).extracting(e -> e.getReason()).contains("NodeApiRateLimited"));
    }

    @Test
    void oneSourceGuessingManyNodeNamesIsSlowedDownToo() throws Exception {
        for (int i = 0; i < 6; i++) {
            assertThat(api.get(NAMESPACE, "guess-" + i, NodeApi.BOOT_CONFIG, "tk_" + "A".repeat(43)).status()).isEqualTo(401);
        }

        var limited = api.get(NAMESPACE, "guess-99", NodeApi.BOOT_CONFIG, "tk_" + "A".repeat(43));

        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.header("Retry-After")).isNotNull();
    }

    @Test
    void oversizedRequestsForARealNodeWriteNoMoreEventsThanItsBudget() throws Exception {
        create(credential("node-002", "compute", Arming.ONCE));
        byte[] tooLarge = ("{\"macs\":[\"" + "x".repeat(NodeApi.MAX_BODY_BYTES) + "\"]}").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i < 12; i++) {
            var client = api.at(server.address(), "127.0.2." + (i + 1));
            assertThat(client.send("POST", NodeApi.path(NAMESPACE, "node-002", NodeApi.API_KEY), null, tooLarge).status())
                    .as("refused for its size, whatever the budget").isEqualTo(413);
        }

        // The node's budget is 3: three refusals are told, then the one that spent it, and nothing more.
        assertThat(eventsAbout("NodeCredential", "node-002")).extracting(e -> e.getReason())
                .containsExactly("NodeApiBodyTooLarge", "NodeApiBodyTooLarge", "NodeApiBodyTooLarge", "NodeApiRateLimited");
    }

    @Test
    void strangersMakingUpNamesFromManyAddressesWriteABoundedNumberOfEvents() throws Exception {
        for (int i = 0; i < 20; i++) {
            var stranger = api.at(server.address(), "127.0.1." + (i + 1));
            assertThat(stranger.get(NAMESPACE, "made-up-" + i, NodeApi.BOOT_CONFIG, "tk_" + "A".repeat(43)).status()).isEqualTo(401);
        }

        assertThat(eventsAbout("Namespace", NAMESPACE)).as("one client's budget of events per window, not one per refusal")
                .hasSize(6);
        assertThat(harness.operator().metrics().find("tether.nodeapi.events.suppressed").counter().count()).isEqualTo(14.0);
    }
}
