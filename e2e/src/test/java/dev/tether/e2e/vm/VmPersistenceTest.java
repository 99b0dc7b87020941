package dev.tether.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.dev.ImageCache;
import dev.tether.dev.TetherCluster;
import dev.tether.dev.VirtualMachine;
import dev.tether.dev.SoftwareTpm;
import dev.tether.dev.LoginKey;
import dev.tether.dev.AgentOverlay;
import dev.tether.operator.image.BuildResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * Selective persistence on a real machine (docs/persistence.md): a file written under a kept path survives a reboot of
 * its node (the final save at shutdown, the restore before the init), a file outside the kept paths does not, the
 * operator's volume holds only ciphertext, and a second machine of the same profile gets none of the first's files.
 */
@Tag("vm")
class VmPersistenceTest {
    private static final String NAMESPACE = ImageCache.NAMESPACE;
    private static final String PROFILE = "e2e";
    private static final String KEPT = "/var/lib/tether-e2e";
    private static final Duration BOOT_PATIENCE = Duration.ofMinutes(12);
    private static final Path PROJECT = Path.of("..").toAbsolutePath().normalize();

    @BeforeAll
    static void requirements() {
        VmRequirements.assumeThisMachineBootsVms();
    }

    @VmTest(minutes = 30)
    void aKeptFileSurvivesItsNodesRebootAndNoOtherNodeSeesIt() throws Exception {
        LoginKey sshKey = LoginKey.get();
        var image = ImageCache.get(PROJECT);
        Path runDir = Path.of("target", "vm-persistence").toAbsolutePath();
        ImageCache.removeTree(runDir);
        Files.createDirectories(runDir);
        try (var cluster = TetherCluster.start(image, 1, VirtualMachine.freePort(), VirtualMachine.freePort(), runDir)) {
            BuildResult result = AgentOverlay.enabled() ? AgentOverlay.apply(PROJECT, image, cluster.origin(), ImageCache.TOKEN) : image.result();
            cluster.publish(image, result);
            NodeProfile profile = TetherCluster.profile(PROFILE, image.image(), NodeProfileSpec.ImageMethod.TETHERED, sshKey.publicKey());
            profile.getSpec().persistence = new NodeProfileSpec.Persistence();
            profile.getSpec().persistence.paths = List.of(KEPT);
            cluster.apply(profile);
            cluster.apply(TetherCluster.credential("vm-001", PROFILE, NAMESPACE, "52:54:00:12:34:56", NodeCredentialSpec.Arming.ONCE));
            cluster.apply(TetherCluster.credential("vm-002", PROFILE, NAMESPACE, "52:54:00:12:34:57", NodeCredentialSpec.Arming.ONCE));
            Path knownHosts = runDir.resolve("known_hosts");
            Files.writeString(knownHosts, cluster.sshKnownHostsLine().strip() + "\n");

            try (var tpm = SoftwareTpm.start(runDir.resolve("tpm-1"));
                 var vm = machine(cluster, runDir.resolve("vm-001"), "52:54:00:12:34:56", tpm)) {
                vm.trustHostKeysFrom(knownHosts, "vm-001." + NAMESPACE + ".tether.internal");
                vm.waitFor("persistence: no archive stored yet", BOOT_PATIENCE);
                vm.waitFor("login:", BOOT_PATIENCE);
                var wrote = vm.sshWhenReady(sshKey.privateKey(), "mkdir -p " + KEPT + " && echo 'kept across reboots' > " + KEPT + "/note"
                        + " && echo 'gone at reboot' > /etc/not-kept && systemctl is-active tether-persistence.service"
                        + " && systemctl is-active tether-persistence-save.timer", Duration.ofMinutes(2));
                assertThat(wrote.status()).as(wrote.output()).isZero();

                // A clean reboot: the final save runs as tether-persistence.service stops.
                vm.ssh(sshKey.privateKey(), "systemctl reboot", Duration.ofSeconds(30));
                vm.waitFor("persistence: restored generation 1", BOOT_PATIENCE);
                vm.waitFor("login:", BOOT_PATIENCE);
                var look = vm.sshWhenReady(sshKey.privateKey(), "cat " + KEPT + "/note; test -e /etc/not-kept && echo not-kept-still-there;"
                        + " journalctl -b -1 -u tether-persistence.service --no-pager | tail -3", Duration.ofMinutes(2));
                System.err.println("[VmPersistenceTest] after the reboot:\n" + look.output().strip());
                assertThat(look.output()).contains("kept across reboots").doesNotContain("not-kept-still-there");
            }
            try (var walk = Files.walk(cluster.persistenceDir())) {
                List<Path> archives = walk.filter(p -> p.toString().endsWith(".tpa")).toList();
                assertThat(archives).hasSize(1);
                assertThat(new String(Files.readAllBytes(archives.getFirst()), StandardCharsets.ISO_8859_1))
                        .doesNotContain("kept across reboots");
            }

            try (var tpm = SoftwareTpm.start(runDir.resolve("tpm-2"));
                 var other = machine(cluster, runDir.resolve("vm-002"), "52:54:00:12:34:57", tpm)) {
                other.trustHostKeysFrom(knownHosts, "vm-002." + NAMESPACE + ".tether.internal");
                other.waitFor("persistence: no archive stored yet", BOOT_PATIENCE);
                other.waitFor("login:", BOOT_PATIENCE);
                var look = other.sshWhenReady(sshKey.privateKey(), "ls -A " + KEPT + " 2>&1; cat /run/tether/persistence/session.json"
                        + " | tr , '\\n' | grep -E '\"(node|generation)\"'", Duration.ofMinutes(2));
                System.err.println("[VmPersistenceTest] the second machine:\n" + look.output().strip());
                assertThat(look.output()).doesNotContain("note").contains("\"node\":\"vm-002\"").contains("\"generation\":0");
            }
        }
    }

    private static VirtualMachine machine(TetherCluster cluster, Path workDir, String mac, SoftwareTpm tpm) throws Exception {
        Files.createDirectories(workDir);
        return VirtualMachine.builder().mac(mac).workDir(workDir).tpmSocket(tpm.controlSocket()).allowReboot(true)
                .ipxeScript(VirtualMachine.Builder.chainTo(cluster.edgeUrls().getFirst())).start();
    }
}
