package dev.tether.imgutil.initramfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.imgutil.util.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The initramfs-tools boot script's network start, with the real parts a node's initramfs runs: klibc's ipconfig,
 * as configure_networking calls it, against a DHCP server (dnsmasq) across a veth pair, the node's end in a network
 * namespace of its own. Needs root, ip, klibc-utils and dnsmasq; skips saying which is missing.
 */
class InitramfsNetworkTest {
    private static final Path SCRIPT = InitramfsToolsScript.SOURCE;
    private static final Path KLIBC = InitramfsToolsScript.KLIBC;

    @TempDir
    Path dir;
    private String namespace;
    private String serverEnd;
    private String nodeEnd;
    private Process dhcpServer;

    @BeforeEach
    void startDhcpServer() throws Exception {
        assumeTrue(Tools.runningAsRoot(), "SKIPPED: network namespaces need root");
        assumeTrue(Tools.onPath("ip"), "SKIPPED: needs ip (iproute2)");
        assumeTrue(Files.isExecutable(KLIBC.resolve("ipconfig")), "SKIPPED: needs klibc's ipconfig (apt-get install klibc-utils)");
        assumeTrue(Tools.onPath("dnsmasq"), "SKIPPED: needs dnsmasq (apt-get install dnsmasq-base)");
        String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
        namespace = "tether-dhcp-" + suffix;
        serverEnd = "tds" + suffix;
        nodeEnd = "tdn" + suffix;
        run("ip", "netns", "add", namespace);
        run("ip", "link", "add", serverEnd, "type", "veth", "peer", "name", nodeEnd);
        run("ip", "link", "set", nodeEnd, "netns", namespace);
        run("ip", "addr", "add", "10.231.7.1/24", "dev", serverEnd);
        run("ip", "link", "set", serverEnd, "up");
        // --no-ping: offer at once, without first pinging the address to see whether it is taken.
        Path log = dir.resolve("dnsmasq.log");
        dhcpServer = new ProcessBuilder("dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--bind-interfaces",
                "--interface=" + serverEnd, "--except-interface=lo", "--dhcp-range=10.231.7.10,10.231.7.50,1h", "--no-ping",
                "--dhcp-leasefile=" + dir.resolve("leases"), "--pid-file=" + dir.resolve("pid"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        // It says so once its DHCP socket is bound; a request sent before would go unanswered.
        Awaitility.await("dnsmasq listening on " + serverEnd).atMost(Duration.ofMinutes(1))
                .failFast("dnsmasq exited", () -> !dhcpServer.isAlive())
                .until(() -> Files.readString(log).contains("sockets bound exclusively to interface " + serverEnd));
    }

    @AfterEach
    void stop() throws Exception {
        if (dhcpServer != null) {
            dhcpServer.destroy();
            dhcpServer.waitFor(10, TimeUnit.SECONDS);
        }
        if (namespace != null) {
            new ProcessBuilder("ip", "link", "del", serverEnd).start().waitFor(10, TimeUnit.SECONDS);
            new ProcessBuilder("ip", "netns", "del", namespace).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theFirstDhcpRequestGetsItsLeaseOnceTheScriptHasSetTheLinksUp() throws Exception {
        // As configure_networking's first round calls it: ipconfig -t 2. The script is sourced by klibc's own shell.
        String withTheScript = inNodeNamespace(". " + SCRIPT.toAbsolutePath() + "; tether_links_up; " + KLIBC.resolve("ipconfig")
                + " -t 2 " + nodeEnd);
        assertThat(withTheScript).as("the first request answered").contains("IP-Config: " + nodeEnd + " complete (dhcp from 10.231.7.1)")
                .doesNotContain("giving up");
    }

    @Test
    void withoutItIpconfigSendsBeforeTheLinkRunsAndGivesUp() throws Exception {
        // Why the script sets the links up: ipconfig sets the link up and sends at once, the kernel refuses (the link is
        // not running yet), and ipconfig waits 10 s before trying again, past its 2 s: configure_networking's first round
        // ends without a lease.
        String withoutTheScript = inNodeNamespace(KLIBC.resolve("ipconfig") + " -t 2 " + nodeEnd);
        assertThat(withoutTheScript).contains("no response after 2 secs - giving up");
    }

    /** Runs {@code command} with klibc's sh in the node's namespace (its own sysfs) and returns what it printed. */
    private String inNodeNamespace(String command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("ip", "netns", "exec", namespace, KLIBC.resolve("sh").toString(), "-c", command)
                .redirectErrorStream(true).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("klibc's sh ended").isTrue();
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0).as(String.join(" ", List.of(command)) + ": " + output)
                .isTrue();
    }
}
