package dev.tether.operator.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console command docs/power.md gives ({@code ipmitool -I lanplus ... -E sol activate}) attaches to a real BMC's
 * Serial-over-LAN: ipmi_sim relays a serial port (here a TCP socket that prints a login prompt) over RMCP+.
 */
class SerialOverLanTest {
    private static final String PASSWORD = "sol-pw-90ab";

    @TempDir
    Path dir;

    @Test
    void theDocumentedCommandShowsTheNodesConsole() throws Exception {
        IpmiSimulator.assumeInstalled();
        assumeThat(Files.isExecutable(Path.of("/usr/bin/script"))).as("script (util-linux) gives ipmitool the terminal it needs").isTrue();
        try (var serial = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            var prompted = new CountDownLatch(1);
            var console = Thread.ofVirtual().start(() -> {
                try (var line = serial.accept(); var out = line.getOutputStream()) {
                    // The "node" prints its prompt until a SOL client has seen it; it cannot tell when that is, so it repeats.
                    while (!prompted.await(200, TimeUnit.MILLISECONDS)) {
                        out.write("node-001 login: \r\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                } catch (IOException | InterruptedException e) {
                    // The test ends the console by closing the socket.
                }
            });
            try (var bmc = IpmiSimulator.start(dir, PASSWORD, serial.getLocalPort(), kcsPort -> "exec sleep 100000")) {
                String command = "ipmitool -I lanplus -C 3 -H 127.0.0.1 -p " + bmc.port + " -U " + IpmiSimulator.USER + " -E sol activate";
                var builder = new ProcessBuilder("script", "-qc", command, "/dev/null").redirectErrorStream(true);
                builder.environment().put("IPMI_PASSWORD", PASSWORD);
                var sol = builder.start();
                var seen = new StringBuilder();
                var in = sol.getInputStream();
                byte[] buffer = new byte[4096];
                while (!seen.toString().contains("node-001 login:")) {
                    int n = in.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    seen.append(new String(buffer, 0, n, StandardCharsets.US_ASCII));
                }
                prompted.countDown();
                // ~. is ipmitool's escape to leave the console.
                sol.getOutputStream().write("\r~.".getBytes(StandardCharsets.US_ASCII));
                sol.getOutputStream().flush();
                boolean ended = sol.waitFor(20, TimeUnit.SECONDS);
                if (!ended) {
                    sol.descendants().forEach(ProcessHandle::destroy);
                    sol.destroy();
                }
                assertThat(seen.toString()).contains("SOL Session operational").contains("node-001 login:");
                assertThat(ended).as("~. ends the console").isTrue();
            } finally {
                prompted.countDown();
                console.join(10_000);
            }
        }
    }
}
