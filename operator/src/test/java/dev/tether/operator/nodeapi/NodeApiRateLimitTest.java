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
    void aNodeGuessingKeysIsSlowedDownAndTheAdministratorIsTold() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");
        String wrong = "tk_" + "A".repeat(43);

        for (int i = 0; i < 3; i++) {
            assertThat(api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, wrong).status()).isEqualTo(401);
        }
        var limited = api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, key);

        assertThat(limited.status()).as("even the right key waits until the budget refills").isEqualTo(429);
        assertThat(limited.error().error()).isEqualTo("RateLimited");
        assertThat(Long.parseLong(limited.header("Retry-After"))).isBetween(1L, 3600L);
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
}
