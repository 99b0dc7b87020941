package dev.tether.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.tether.dev.BootNetwork;
import dev.tether.dev.Prerequisites;
import dev.tether.dev.VirtualMachine;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's DHCP setup ("Point the machines at the edges"), run as written there: a {@link BootNetwork} (dnsmasq
 * with the README's lines on a bridge) whose other end is a qemu machine with qemu's iPXE firmware, and a stand-in for
 * the edge's {@code /boot/ipxe} (the edge's own answer is VmBootTest's part, which boots on such a network too). The
 * machine must ask that URL with its own MAC, and dnsmasq must have sent iPXE the option that spares its wait for
 * ProxyDHCP offers. Needs root (a tap), qemu with ipxe-qemu and dnsmasq; skips saying which is missing.
 */
@Tag("vm")
class ReadmeDhcpVmTest {
    private static final Path README = Path.of("..", "README.md");
    private static final String MAC = "52:54:00:7e:7e:01";
    private static final List<Prerequisites.Need> NEEDS = List.of(
            new Prerequisites.Need("qemu-system-x86_64", "qemu-system-x86", false),
            new Prerequisites.Need(VirtualMachine.IPXE_ROM.toString(), "ipxe-qemu", true));

    @TempDir
    Path dir;
    private HttpServer edge;
    private BootNetwork network;
    private VirtualMachine machine;

    @AfterEach
    void stop() throws Exception {
        if (machine != null) {
            machine.close();
        }
        if (network != null) {
            network.close();
        }
        if (edge != null) {
            edge.stop(0);
        }
    }

    @Test
    void iPxeAsksTheEdgeForItsScriptWithItsMacAndIsToldNotToWaitForProxyDhcp() throws Exception {
        BootNetwork.whyUnavailable().ifPresent(reason -> assumeTrue(false, "SKIPPED: " + reason));
        Set<String> missing = Prerequisites.missingPackages(NEEDS);
        assumeTrue(missing.isEmpty(), () -> "SKIPPED: needs " + String.join(", ", missing) + " ("
                + Prerequisites.instructions(missing) + ")");

        CompletableFuture<String> asked = new CompletableFuture<>();
        edge = HttpServer.create(new InetSocketAddress(0), 0);
        edge.createContext("/boot/ipxe", exchange -> {
            asked.complete(exchange.getRequestURI().getQuery());
            // The machine is done once it asked: it prints this and returns to its firmware.
            byte[] script = "#!ipxe\necho the edge answered ${net0/mac}\nexit\n".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, script.length);
            try (var body = exchange.getResponseBody()) {
                body.write(script);
            }
        });
        edge.start();
        network = BootNetwork.start(README, host -> "http://" + host + ":" + edge.getAddress().getPort(), dir.resolve("network"));
        machine = VirtualMachine.builder().mac(MAC).memoryMiB(256).workDir(dir).network(network).start();

        // Patience, not a measure: the exchange takes a few seconds here, an emulator on a busy host longer.
        Awaitility.await("the machine asking the edge for its script (console: " + machine.consoleLog() + ")")
                .atMost(Duration.ofMinutes(5)).failFast("qemu exited", () -> !machine.isAlive())
                .until(asked::isDone);
        assertThat(asked.get()).as("the edge learns the machine's MAC from the URL iPXE filled in").isEqualTo("mac=" + MAC);
        // Option 175 (iPXE's encapsulated options) carrying 176 (no-pxedhcp), length 1, value 1; then its end (ff).
        assertThat(Files.readString(network.log())).as("dnsmasq's answer to the machine").contains("option:175   b0:01:01:ff");
    }
}
