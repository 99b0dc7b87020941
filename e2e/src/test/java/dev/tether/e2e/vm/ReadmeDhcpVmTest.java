package dev.tether.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.tether.dev.ImageCache;
import dev.tether.dev.Prerequisites;
import dev.tether.dev.VirtualMachine;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's DHCP setup ("Point the machines at the edges"), run as written there: dnsmasq with the README's lines,
 * on a tap whose other end is a qemu machine with qemu's iPXE firmware, and a stand-in for the edge's
 * {@code /boot/ipxe} (the edge's own answer is VmBootTest's part). The machine must ask that URL with its own MAC, and
 * dnsmasq must have sent iPXE the option that spares its wait for ProxyDHCP offers. Needs root (a tap), qemu with
 * ipxe-qemu and dnsmasq; skips saying which is missing.
 */
@Tag("vm")
class ReadmeDhcpVmTest {
    private static final Path README = Path.of("..", "README.md");
    /** How the README's dnsmasq block starts, which the test looks for. */
    private static final String BLOCK_FIRST_LINE = "# /etc/dnsmasq.d/tether.conf";
    /** The edge the README names as its example, replaced by this test's stand-in. */
    private static final String README_EDGE = "http://10.0.0.11:8080";
    private static final String SERVER = "10.231.9.1";
    private static final String MAC = "52:54:00:7e:7e:01";
    private static final List<Prerequisites.Need> NEEDS = List.of(
            new Prerequisites.Need("qemu-system-x86_64", "qemu-system-x86", false),
            new Prerequisites.Need(VirtualMachine.IPXE_ROM.toString(), "ipxe-qemu", true),
            new Prerequisites.Need("dnsmasq", "dnsmasq-base", false),
            new Prerequisites.Need("ip", "iproute2", false));

    @TempDir
    Path dir;
    private String tap;
    private HttpServer edge;
    private Process dhcpServer;
    private Process machine;

    @AfterEach
    void stop() throws Exception {
        for (Process process : new Process[] {machine, dhcpServer}) {
            if (process != null) {
                process.destroy();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (edge != null) {
            edge.stop(0);
        }
        if (tap != null) {
            new ProcessBuilder("ip", "link", "del", tap).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void iPxeAsksTheEdgeForItsScriptWithItsMacAndIsToldNotToWaitForProxyDhcp() throws Exception {
        assumeTrue(ImageCache.isRoot(), "SKIPPED: a tap device needs root");
        Set<String> missing = Prerequisites.missingPackages(NEEDS);
        assumeTrue(missing.isEmpty(), () -> "SKIPPED: needs " + String.join(", ", missing) + " ("
                + Prerequisites.instructions(missing) + ")");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "SKIPPED: needs /dev/net/tun for the machine's tap");

        tap = "tdhcp" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
        run("ip", "tuntap", "add", "dev", tap, "mode", "tap");
        run("ip", "addr", "add", SERVER + "/24", "dev", tap);
        // qemu's iPXE waits for an IPv6 router advertisement too (README); dnsmasq's enable-ra below answers it.
        run("ip", "-6", "addr", "add", "fd31:9::1/64", "dev", tap);
        run("ip", "link", "set", tap, "up");
        CompletableFuture<String> asked = new CompletableFuture<>();
        edge = HttpServer.create(new InetSocketAddress(InetAddress.getByName(SERVER), 0), 0);
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

        Path conf = dir.resolve("tether.conf");
        String standIn = "http://" + SERVER + ":" + edge.getAddress().getPort();
        Files.writeString(conf, readmeDnsmasqLines().replace(README_EDGE, standIn));
        Path log = dir.resolve("dnsmasq.log");
        dhcpServer = new ProcessBuilder("dnsmasq", "--no-daemon", "--conf-file=" + conf, "--port=0", "--bind-interfaces",
                "--interface=" + tap, "--except-interface=lo", "--dhcp-range=10.231.9.10,10.231.9.50,1h",
                "--enable-ra", "--dhcp-range=fd31:9::,ra-only", "--no-ping", "--log-dhcp",
                "--dhcp-leasefile=" + dir.resolve("leases"), "--pid-file=" + dir.resolve("pid"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Awaitility.await("dnsmasq listening on " + tap).atMost(Duration.ofMinutes(1))
                .failFast("dnsmasq exited: " + log, () -> !dhcpServer.isAlive())
                .until(() -> Files.readString(log).contains("sockets bound exclusively to interface " + tap));

        Path console = dir.resolve("console.log");
        machine = new ProcessBuilder("qemu-system-x86_64", "-m", "256", "-nographic", "-no-reboot",
                "-netdev", "tap,id=n0,ifname=" + tap + ",script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=n0,mac=" + MAC, "-boot", "n")
                .redirectErrorStream(true).redirectOutput(console.toFile()).start();

        // Patience, not a measure: the exchange takes a few seconds here, an emulator on a busy host longer.
        Awaitility.await("the machine asking the edge for its script (console: " + console + ")")
                .atMost(Duration.ofMinutes(5)).failFast("qemu exited", () -> !machine.isAlive())
                .until(asked::isDone);
        assertThat(asked.get()).as("the edge learns the machine's MAC from the URL iPXE filled in").isEqualTo("mac=" + MAC);
        // Option 175 (iPXE's encapsulated options) carrying 176 (no-pxedhcp), length 1, value 1; then its end (ff).
        assertThat(Files.readString(log)).as("dnsmasq's answer to the machine").contains("option:175   b0:01:01:ff");
    }

    /** The README's dnsmasq block, from its first line to the fence that closes it. */
    private static String readmeDnsmasqLines() throws IOException {
        List<String> lines = Files.readAllLines(README);
        int first = 0;
        while (first < lines.size() && !lines.get(first).startsWith(BLOCK_FIRST_LINE)) {
            first++;
        }
        assertThat(first).as(README + " has a block starting with '" + BLOCK_FIRST_LINE + "'").isLessThan(lines.size());
        List<String> block = new ArrayList<>();
        for (int i = first; i < lines.size() && !lines.get(i).startsWith("```"); i++) {
            block.add(lines.get(i));
        }
        assertThat(String.join("\n", block)).as("the README's block names the example edge").contains(README_EDGE);
        return String.join("\n", block) + "\n";
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0)
                .as(String.join(" ", command) + ": " + output).isTrue();
    }
}
