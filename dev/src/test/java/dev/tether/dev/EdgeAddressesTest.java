package dev.tether.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * Two local clusters on one machine (two worktrees' VM tests, a test beside {@code ./tether-dev up}) once shared the
 * edges' loopback addresses, and the first to stop took them from under the other's booting machine.
 */
class EdgeAddressesTest {

    @Test
    void twoClustersGetAddressesOfTheirOwnAndOneStoppingLeavesTheOthersInPlace() throws Exception {
        assumeTrue(ImageCache.isRoot() && ImageCache.onPath("ip"), "SKIPPED: adding addresses to lo needs root and ip (iproute2)");
        try (var first = EdgeAddresses.add(2)) {
            try (var second = EdgeAddresses.add(2)) {
                assertThat(second.get(0)).isNotIn(first.get(0), first.get(1));
                assertThat(loopbackAddresses()).contains(first.get(0), first.get(1), second.get(0), second.get(1));
            }
            assertThat(loopbackAddresses()).as("the first cluster's edges still have their addresses")
                    .contains(" " + first.get(0) + "/32", " " + first.get(1) + "/32");
        }
    }

    private static String loopbackAddresses() throws IOException, InterruptedException {
        return Commands.run("ip", "-o", "-4", "addr", "show", "dev", "lo");
    }
}
