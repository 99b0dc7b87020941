package dev.tether.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.api.v1alpha1.NodeProfileSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A real machine boots from Tether: qemu (software emulation) network-boots with iPXE from an edge, the
 * image's own initramfs runs the boot agent, which mounts the root image tethered from two edges under a
 * zram overlay and hands over to the image's systemd; the test logs in over SSH and looks at the root.
 *
 * <p>Not yet: the node API (API key, image key, host certificates) and the TPM; so the image is unencrypted
 * and the test's SSH key is put into the image by its spec. Timeouts are safety nets for a hung boot, never
 * performance assertions: qemu here is software emulation on shared cores.
 */
@Tag("vm")
class VmBootTest {
    private static final String MAC = "52:54:00:12:34:56";
    private static final Duration BOOT_PATIENCE = Duration.ofMinutes(12);

    @BeforeAll
    static void requirements() {
        assumeTrue(ImageCache.isRoot(), "SKIPPED: the VM boot needs root (image build, qemu user networking is fine without)");
        assumeTrue(ImageCache.onPath("qemu-system-x86_64"), "SKIPPED: no qemu-system-x86_64 (apt-get install qemu-system-x86)");
        assumeTrue(Files.isReadable(VirtualMachine.IPXE_ROM), "SKIPPED: no iPXE ROM " + VirtualMachine.IPXE_ROM + " (apt-get install ipxe-qemu)");
        assumeTrue(ImageCache.onPath("ssh"), "SKIPPED: no ssh client (apt-get install openssh-client)");
    }

    @Test
    void tetheredBootReachesMultiUserWithTheRootOnTheEdges() throws Exception {
        boot(NodeProfileSpec.ImageMethod.TETHERED, "vm-boot");
    }

    @Test
    void untetheredBootReachesMultiUserWithTheRootInRam() throws Exception {
        boot(NodeProfileSpec.ImageMethod.UNTETHERED, "vm-boot-untethered");
    }

    private void boot(NodeProfileSpec.ImageMethod method, String runName) throws Exception {
        boolean tethered = method == NodeProfileSpec.ImageMethod.TETHERED;
        TestSshKey key = TestSshKey.get();
        var image = ImageCache.get(Path.of("..").toAbsolutePath().normalize(), key.publicKey());
        var profile = TetherCluster.profile("e2e", image.image(), method);
        var credential = TetherCluster.credential("vm-001", "e2e", ImageCache.NAMESPACE, MAC);
        Path runDir = Path.of("target", runName).toAbsolutePath();
        ImageCache.removeTree(runDir);
        Files.createDirectories(runDir);

        try (var cluster = TetherCluster.start(image, profile, List.of(credential), 2, runDir)) {
            waitUntil(() -> cluster.serves(MAC), Duration.ofSeconds(30), "the edges serve the boot script");
            try (var vm = VirtualMachine.builder().mac(MAC).workDir(runDir)
                    .ipxeScript(VirtualMachine.Builder.chainTo(cluster.edgeUrlsForGuest().getFirst())).start()) {
                System.err.println("[VmBootTest] VM console: " + vm.consoleLog() + "  (qemu: " + runDir.resolve("qemu-command.txt") + ")");
                var marks = new LinkedHashMap<String, Instant>();
                marks.put("qemu started", vm.started());
                marks.put("iPXE running", vm.waitFor("iPXE", BOOT_PATIENCE).at());
                marks.put("boot script from edge", vm.waitFor("Tether: booting vm-001", BOOT_PATIENCE).at());
                marks.put("kernel running", vm.waitFor("Linux version", BOOT_PATIENCE).at());
                marks.put("agent started", vm.waitFor("tether: ", BOOT_PATIENCE).at());
                marks.put("root ready", vm.waitFor("root ready at", BOOT_PATIENCE).at());
                marks.put("systemd running", vm.waitFor("Welcome to", BOOT_PATIENCE).at());
                // systemd stops writing status lines to a console a getty uses, so "Reached target
                // multi-user" never shows on it; the serial getty's prompt does, and ssh checks the target.
                marks.put("login prompt", vm.waitFor("login:", BOOT_PATIENCE).at());

                var findmnt = vm.sshWhenReady(key.privateKey(), "findmnt -n -o FSTYPE,SOURCE,OPTIONS /", Duration.ofMinutes(5));
                marks.put("ssh login", Instant.now());
                assertThat(findmnt.status()).as(findmnt.output()).isZero();
                var mounts = vm.ssh(key.privateKey(), "cat /proc/mounts; echo ---; cat /run/tether/boot-timings.json; echo;"
                        + " echo ---; systemctl is-active ssh.service multi-user.target;"
                        + " echo ---; head -c 1 /proc/$(pgrep -f -o tether-agent.jar)/cmdline; echo;"
                        + " echo ---; systemd-analyze | head -1;"
                        + " systemctl show -p ActiveEnterTimestampMonotonic --value ssh.service multi-user.target", Duration.ofMinutes(2));
                String[] parts = mounts.output().split("---\n");
                assertThat(parts).as(mounts.output()).hasSize(5);
                String procMounts = parts[0];
                System.err.println("[VmBootTest] findmnt /: " + findmnt.output().strip());
                System.err.println("[VmBootTest] /proc/mounts:\n" + procMounts);
                assertThat(findmnt.output()).startsWith("overlay");
                assertThat(procMounts).containsPattern("(?m)^overlay / overlay .*lowerdir=/run/tether/lower");
                assertThat(procMounts).containsPattern("(?m)^/dev/loop\\d+ /run/tether/lower squashfs ro");
                assertThat(procMounts).containsPattern("(?m)^/dev/zram\\d+ \\S+ xfs .*discard");
                assertThat(procMounts).containsPattern(tethered ? "(?m)^\\S+ /run/tether/image fuse" : "(?m)^\\S+ /run/tether/image tmpfs");
                assertThat(parts[2].strip().lines()).as("ssh and multi-user active").containsExactly("active", "active");
                // The agent serving the root survived the switch to the image's systemd, and is marked for
                // systemd-shutdown to spare it (argv[0] starting with '@').
                if (tethered) {
                    assertThat(parts[3].strip()).as("first byte of the agent's argv[0]").isEqualTo("@");
                }

                long[] sentAtLogin = new long[cluster.edgeCount()];
                for (int i = 0; i < sentAtLogin.length; i++) {
                    sentAtLogin[i] = cluster.bytesSent(i);
                }
                var readAll = vm.ssh(key.privateKey(), "find /usr -xdev -type f -print0 | xargs -0 cat > /dev/null 2>/tmp/read-errors;"
                        + " echo status=$?; wc -l < /tmp/read-errors; head -5 /tmp/read-errors", Duration.ofMinutes(30));
                System.err.println("[VmBootTest] reading every file under /usr: " + readAll.output().strip());
                assertThat(readAll.output()).contains("status=0");

                report(method + " boot", runDir, marks, parts[1].strip(), parts[4].strip(), sentAtLogin, cluster, image);
            }
        }
    }

    private static void report(String title, Path runDir, Map<String, Instant> marks, String agentTimings, String guestSystemd, long[] sentAtLogin,
            TetherCluster cluster, ImageCache.CachedImage image) throws Exception {
        var text = new StringBuilder("[VmBootTest] " + title + ": phase wall times (host clock, from console lines):\n");
        Instant previous = null;
        for (var mark : marks.entrySet()) {
            text.append(String.format(Locale.ROOT, "  %-22s +%6.1fs%s%n", mark.getKey(),
                    Duration.between(marks.get("qemu started"), mark.getValue()).toMillis() / 1000.0,
                    previous == null ? "" : String.format(Locale.ROOT, "  (%.1fs)", Duration.between(previous, mark.getValue()).toMillis() / 1000.0)));
            previous = mark.getValue();
        }
        text.append("  agent steps (/run/tether/boot-timings.json): ").append(agentTimings).append('\n');
        List<String> systemd = guestSystemd.lines().filter(line -> !line.isBlank()).toList();
        text.append("  guest: ").append(systemd.isEmpty() ? "" : systemd.getFirst()).append('\n');
        if (systemd.size() >= 3) {
            text.append(String.format(Locale.ROOT, "  guest monotonic clock: ssh.service active at %.1fs, multi-user.target at %.1fs%n",
                    Long.parseLong(systemd.get(1).strip()) / 1e6, Long.parseLong(systemd.get(2).strip()) / 1e6));
        }
        long atLogin = 0;
        long total = 0;
        for (int i = 0; i < cluster.edgeCount(); i++) {
            long sent = cluster.bytesSent(i);
            atLogin += sentAtLogin[i];
            total += sent;
            text.append(String.format(Locale.ROOT, "  edge %d sent %,d bytes by the ssh login, %,d after reading /usr%n",
                    i, sentAtLogin[i], sent));
        }
        long bootFiles = blobSize(image, image.result().kernelDigest()) + blobSize(image, image.result().initramfsDigest());
        text.append(String.format(Locale.ROOT, "  kernel + initramfs: %,d bytes; root image: %,d bytes%n", bootFiles,
                image.result().rootImageBytes()));
        text.append(String.format(Locale.ROOT, "  root image bytes fetched by the ssh login: about %,d (%.0f%% of the image);"
                        + " after reading all of /usr: about %,d (%.0f%%)%n", atLogin - bootFiles,
                100.0 * (atLogin - bootFiles) / image.result().rootImageBytes(), total - bootFiles,
                100.0 * (total - bootFiles) / image.result().rootImageBytes()));
        System.err.print(text);
        Files.writeString(runDir.resolve("report.txt"), text.toString());
    }

    private static long blobSize(ImageCache.CachedImage image, String digest) throws java.io.IOException {
        Path blob = image.storeDir().resolve("blobs/sha256/" + digest.substring("sha256:".length()));
        return Files.size(blob);
    }

    @FunctionalInterface
    interface Check {
        boolean ok() throws Exception;
    }

    private static void waitUntil(Check check, Duration timeout, String what) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (!check.ok()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(500);
        }
    }
}
