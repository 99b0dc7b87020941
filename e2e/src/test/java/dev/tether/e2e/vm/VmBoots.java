package dev.tether.e2e.vm;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.dev.ImageCache;
import dev.tether.dev.SoftwareTpm;
import dev.tether.dev.TetherCluster;
import dev.tether.dev.VirtualMachine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** What the VM tests share about one machine's boot: starting it, its phases on the console, its boot report. */
final class VmBoots {
    /** A safety net against a hung boot, never a performance assertion: qemu here emulates the CPU. */
    static final Duration BOOT_PATIENCE = Duration.ofMinutes(12);

    private VmBoots() {
    }

    /** A machine with {@code mac} and the TPM, network-booting from the first edge. */
    static VirtualMachine startMachine(TetherCluster cluster, Path runDir, String mac, SoftwareTpm tpm) throws Exception {
        return machine(cluster, runDir, mac, tpm).start();
    }

    /** The machine {@link #startMachine} starts, for a test that changes it first (lets it reboot, say). */
    static VirtualMachine.Builder machine(TetherCluster cluster, Path runDir, String mac, SoftwareTpm tpm) {
        return VirtualMachine.builder().mac(mac).workDir(runDir).tpmSocket(tpm.controlSocket())
                .ipxeScript(VirtualMachine.Builder.chainTo(cluster.edgeUrls().getFirst()));
    }

    /** Waits for each boot phase's console line of node {@code node}, in order, from {@code since}. */
    static Map<String, Instant> bootPhases(VirtualMachine vm, String node, Instant since) throws InterruptedException {
        var marks = new LinkedHashMap<String, Instant>();
        marks.put("start", since);
        marks.put("iPXE running", vm.waitFor("iPXE", BOOT_PATIENCE).at());
        marks.put("boot script from edge", vm.waitFor("Tether: booting " + node, BOOT_PATIENCE).at());
        marks.put("kernel running", vm.waitFor("Linux version", BOOT_PATIENCE).at());
        marks.put("agent started", vm.waitFor("tether: ", BOOT_PATIENCE).at());
        marks.put("root ready", vm.waitFor("root ready at", BOOT_PATIENCE).at());
        marks.put("systemd running", vm.waitFor("Welcome to", BOOT_PATIENCE).at());
        // systemd stops writing status lines to a console a getty uses; the serial getty's prompt does show.
        marks.put("login prompt", vm.waitFor("login:", BOOT_PATIENCE).at());
        return marks;
    }

    /** The phases' wall times from the first mark, each with its own length, and the agent's step timings. */
    static String phases(String title, Map<String, Instant> marks, String agentTimings) {
        var text = new StringBuilder(title + ": phase wall times (host clock, from console lines)\n");
        Instant start = marks.get("start");
        Instant previous = null;
        // In the order they happened: "sshd active" comes from the guest's clock after the login and may be earlier
        // than the login prompt.
        for (var mark : marks.entrySet().stream().sorted(Map.Entry.comparingByValue()).toList()) {
            text.append(String.format(Locale.ROOT, "  %-22s +%6.1fs%s%n", mark.getKey(), Duration.between(start, mark.getValue()).toMillis() / 1000.0,
                    previous == null ? "" : String.format(Locale.ROOT, "  (%.1fs)", Duration.between(previous, mark.getValue()).toMillis() / 1000.0)));
            previous = mark.getValue();
        }
        text.append("  agent steps (/run/tether/boot-timings.json): ").append(agentTimings).append('\n');
        return text.toString();
    }

    /** Node {@code node}'s credential once the operator has recorded a boot report newer than {@code previousBootAt}. */
    static NodeCredential awaitBootReport(TetherCluster cluster, String node, String previousBootAt) throws Exception {
        return awaitBootReport(cluster, node, previousBootAt, Duration.ofSeconds(60));
    }

    /** @param patience how long the report may take after the caller's last check of the node */
    static NodeCredential awaitBootReport(TetherCluster cluster, String node, String previousBootAt, Duration patience)
            throws Exception {
        return TetherCluster.eventually("the boot report in the NodeCredential's status", patience, () -> {
            NodeCredential credential = cluster.credential(ImageCache.NAMESPACE, node);
            var lastBoot = credential.getStatus() == null ? null : credential.getStatus().lastBoot;
            return lastBoot != null && !lastBoot.bootedAt.equals(previousBootAt) ? credential : null;
        });
    }

    /** {@code target/NAME}, empty. */
    static Path freshDir(String name) throws Exception {
        Path dir = Path.of("target", name).toAbsolutePath();
        ImageCache.removeTree(dir);
        Files.createDirectories(dir);
        return dir;
    }
}
