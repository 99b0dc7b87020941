package dev.tether.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The boot network the VM suite's timed boots run on. Two suites on one machine (two worktrees) must not serve DHCP on
 * each other's machines, nor remove each other's bridge; a machine keeps its address across power cycles.
 */
class BootNetworkTest {
    private static final Path README = Path.of("..", "README.md");

    @TempDir
    Path dir;

    @Test
    void twoNetworksAtOnceGetBlocksOfTheirOwnAndOneClosingLeavesTheOther() throws Exception {
        BootNetwork.whyUnavailable().ifPresent(reason -> assumeTrue(false, "SKIPPED: " + reason));
        try (var first = BootNetwork.start(README, host -> "http://" + host + ":8080", dir.resolve("first"))) {
            String firstBridge;
            try (var second = BootNetwork.start(README, host -> "http://" + host + ":8080", dir.resolve("second"))) {
                assertThat(second.hostAddress()).isNotEqualTo(first.hostAddress());
                assertThat(bridges()).contains(" " + first.hostAddress() + "/24", " " + second.hostAddress() + "/24");
                // The README's lines, with the edge's URL on this network in place of the example's.
                String config = Files.readString(dir.resolve("second").resolve("tether.conf"));
                assertThat(config).contains("dhcp-boot=tag:ipxe,http://" + second.hostAddress() + ":8080/boot/ipxe?mac=${net0/mac}")
                        .doesNotContain(BootNetwork.README_EDGE);
                firstBridge = bridgeOf(first.hostAddress());
            }
            assertThat(bridges()).as("the first network's bridge still has its address").contains(" " + first.hostAddress() + "/24");
            assertThat(firstBridge).isNotEmpty();
        }
    }

    @Test
    void aMachineKeepsItsTapAndAddressAcrossPowerCyclesAndTheyAreGoneWithTheNetwork() throws Exception {
        BootNetwork.whyUnavailable().ifPresent(reason -> assumeTrue(false, "SKIPPED: " + reason));
        String tap;
        try (var network = BootNetwork.start(README, host -> "http://" + host + ":8080", dir)) {
            tap = network.attach("52:54:00:AA:00:01");
            assertThat(network.attach("52:54:00:aa:00:01")).as("the same MAC, however written").isEqualTo(tap);
            network.attach("52:54:00:aa:00:02");
            String address = network.addressOf("52:54:00:aa:00:01");
            assertThat(address).startsWith(network.hostAddress().substring(0, network.hostAddress().lastIndexOf('.') + 1))
                    .isNotEqualTo(network.addressOf("52:54:00:aa:00:02")).isNotEqualTo(network.hostAddress());
            assertThat(Files.readString(dir.resolve("hosts").resolve("52-54-00-aa-00-01")))
                    .as("dnsmasq's host file for the machine").isEqualTo("52:54:00:aa:00:01," + address + "\n");
            assertThat(Commands.run("ip", "-o", "link", "show", tap)).contains("master " + bridgeOf(network.hostAddress()));
            assertThatThrownBy(() -> network.addressOf("52:54:00:aa:00:03")).hasMessageContaining("no machine with MAC");
        }
        assertThat(Commands.succeeds("ip", "link", "show", tap)).as("the tap removed with the network").isFalse();
    }

    @Test
    void aReadmeWithoutTheDnsmasqBlockIsNamedInTheError() throws Exception {
        Path readme = Files.writeString(dir.resolve("README.md"), "# Tether\n\nNo DHCP here.\n");
        assertThatThrownBy(() -> BootNetwork.readmeDnsmasqLines(readme)).isInstanceOf(IOException.class)
                .hasMessageContaining(readme + " has no dnsmasq block starting with '" + BootNetwork.README_BLOCK_FIRST_LINE + "'");
        assertThat(BootNetwork.readmeDnsmasqLines(README)).as("the real README's block")
                .contains("dhcp-option=tag:ipxe,encap:175,176,1b").doesNotContain("```");
    }

    private static String bridges() throws IOException, InterruptedException {
        return Commands.run("ip", "-o", "-4", "addr", "show", "type", "bridge");
    }

    /** The name of the bridge that has {@code address}. */
    private static String bridgeOf(String address) throws IOException, InterruptedException {
        for (String line : bridges().lines().toList()) {
            if (line.contains(" " + address + "/24")) {
                return line.split("\\s+")[1];
            }
        }
        return "";
    }
}
