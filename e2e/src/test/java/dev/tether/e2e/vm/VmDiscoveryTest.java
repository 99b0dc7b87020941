package dev.tether.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.Bmc;
import dev.tether.api.v1alpha1.DiscoveredNode;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.api.v1alpha1.PowerSpec;
import dev.tether.dev.AgentOverlay;
import dev.tether.dev.ImageCache;
import dev.tether.dev.LoginKey;
import dev.tether.dev.SoftwareTpm;
import dev.tether.dev.TetherCluster;
import dev.tether.dev.VirtualMachine;
import dev.tether.operator.discovery.DiscoveredNodeReconciler;
import dev.tether.operator.discovery.Registrations;
import dev.tether.operator.image.BuildResult;
import dev.tether.operator.power.IpmiSimulator;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * Issue 20's end-to-end test: a machine no NodeCredential lists, powered on through its BMC, registers, is accepted and
 * boots to ssh. The machine is a qemu VM behind OpenIPMI's ipmi_sim (a real IPMI 2.0 BMC, which runs qemu on power-on
 * and is wired to the VM's own IPMI system interface), with a swtpm TPM; its MAC is under the profile's discovery
 * prefix and no credential names it.
 *
 * <p>An administrator powers it on with ipmitool; it network-boots from an edge, which answers its unknown MAC with the
 * discovery script; the agent in the initramfs registers the machine (MAC, SMBIOS UUID, TPM endorsement key) and waits.
 * A DiscoveredNode appears, the administrator accepts it with the documented patch, and the operator enrols it: a
 * NodeCredential bound to the TPM the machine reported. The waiting agent is told, the machine reboots, boots as the
 * node (its first key issued to that TPM) and is reached over ssh, its host key certified by the cluster's SSH CA. The
 * administrator then names the BMC in the credential, and the operator reads the power and powers the node off
 * gracefully: the BMC's shutdown request (an ACPI power button press) has the node's systemd shut it down.
 * Timeouts are safety nets against a hung boot, never performance assertions: qemu here emulates the CPU.
 */
@Tag("vm")
class VmDiscoveryTest {
    private static final String NAMESPACE = ImageCache.NAMESPACE;
    private static final String PROFILE = "e2e";
    private static final String MAC_PREFIX = "52:54:00:5e";
    private static final String MAC = MAC_PREFIX + ":00:01";
    private static final String SMBIOS_UUID = "5e0d15c0-7e57-4a11-9e0d-000000000001";
    private static final String BMC_PASSWORD = "vm-disc-bmc-8f31";
    private static final Duration BOOT_PATIENCE = Duration.ofMinutes(15);
    private static final Path PROJECT = Path.of("..").toAbsolutePath().normalize();

    @BeforeAll
    static void requirements() {
        VmRequirements.assumeThisMachineBootsVms();
        IpmiSimulator.assumeInstalled();
    }

    @VmTest(minutes = 15)
    void aMachineNoCredentialListsIsPoweredOnThroughItsBmcRegistersIsAcceptedAndBootsToSsh() throws Exception {
        LoginKey sshKey = LoginKey.get();
        var image = ImageCache.get(PROJECT);
        Path runDir = VmBoots.freshDir("vm-discovery");
        var marks = new LinkedHashMap<String, Instant>();
        List<String> report = new ArrayList<>();
        try (var cluster = TetherCluster.start(image, 2, VirtualMachine.freePort(), VirtualMachine.freePort(), runDir)) {
            BuildResult result = AgentOverlay.enabled() ? AgentOverlay.apply(PROJECT, image, cluster.origin(), ImageCache.TOKEN) : image.result();
            cluster.publish(image, result);
            cluster.apply(discoveringProfile(image, sshKey));
            assertThat(cluster.client().resources(NodeCredential.class).inNamespace(NAMESPACE).list().getItems())
                    .as("no NodeCredential before the machine registers").isEmpty();
            Path knownHosts = runDir.resolve("known_hosts");
            Files.writeString(knownHosts, cluster.sshKnownHostsLine().strip() + "\n");

            Path bmcDir = Files.createDirectories(runDir.resolve("bmc"));
            var machine = new VirtualMachine[1];
            try (var tpm = SoftwareTpm.start(runDir.resolve("tpm"));
                 var bmc = IpmiSimulator.start(bmcDir, BMC_PASSWORD, null, kcsPort -> {
                     machine[0] = poweredByBmc(runDir, tpm, cluster, kcsPort);
                     return machine[0].powerOnCommand();
                 });
                 var vm = machine[0]) {
                System.err.println("[VmDiscoveryTest] VM console: " + vm.consoleLog() + "  (qemu: " + runDir.resolve("qemu-command.txt")
                        + ", BMC: " + bmcDir + ")");
                assertThat(bmc.machine()).as("the machine is off until its BMC powers it on").isEmpty();

                // The administrator powers the unknown machine on through its BMC.
                marks.put("power on (ipmitool)", Instant.now());
                assertThat(ipmitool(bmc, "chassis", "power", "on")).contains("Chassis Power Control: Up/On");
                marks.put("iPXE running", vm.waitFor("iPXE", BOOT_PATIENCE).at());
                // iPXE wraps its console at 80 columns: the banner's start names the MAC.
                marks.put("discovery script", vm.waitFor("Tether: no NodeCredential lists MAC " + MAC + "; registering it", BOOT_PATIENCE).at());
                marks.put("kernel running", vm.waitFor("Linux version", BOOT_PATIENCE).at());
                // What the agent reads (the TPM's endorsement key first), then what it registers.
                String endorsementKey = vm.waitFor("tether: .*this machine's TPM endorsement key is sha256:[0-9a-f]{64}$", BOOT_PATIENCE)
                        .text().replaceAll(".* is ", "");
                vm.waitFor("tether: .*this machine is unknown: registering it with profile " + PROFILE + " \\(" + MAC + ".*with its TPM\\)",
                        BOOT_PATIENCE);
                var waitingLine = vm.waitFor("tether: .*registered as DiscoveredNode .*--type merge -p '\\{\"spec\":\\{\"accept\":true}}'\\)$",
                        BOOT_PATIENCE);
                String waiting = waitingLine.text();
                marks.put("registered (agent waits)", waitingLine.at());

                // A DiscoveredNode records what the machine said it is; nothing is enrolled yet.
                String discoveredName = Registrations.nameFor(MAC);
                DiscoveredNode discovered = TetherCluster.eventually("DiscoveredNode " + discoveredName, () -> discovered(cluster, discoveredName));
                var hardware = discovered.getSpec().hardware;
                assertThat(hardware.macs).first().isEqualTo(MAC);
                assertThat(hardware.smbiosUuid).isEqualTo(SMBIOS_UUID);
                assertThat(hardware.endorsementKey).as("the TPM the machine reported").isEqualTo(endorsementKey);
                assertThat(discovered.getSpec().accept).as("a registration accepts nothing").isNotEqualTo(Boolean.TRUE);
                assertThat(cluster.client().resources(NodeCredential.class).inNamespace(NAMESPACE).list().getItems())
                        .as("nothing enrolled before an administrator accepts").isEmpty();
                String acceptCommand = waiting.replaceAll(".*\\((kubectl patch .*)\\)$", "$1");
                System.err.println("[VmDiscoveryTest] the console says: " + acceptCommand);
                assertThat(acceptCommand).isEqualTo("kubectl patch discoverednode -n " + NAMESPACE + " " + discoveredName
                        + " --type merge -p '{\"spec\":{\"accept\":true}}'");

                // The administrator accepts it with the patch the console printed (kubectl patch --type merge).
                marks.put("accepted", Instant.now());
                cluster.client().resources(DiscoveredNode.class).inNamespace(NAMESPACE).withName(discoveredName)
                        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"accept\":true}}");
                String node = "node-" + MAC.replace(":", "");
                NodeCredential enrolled = TetherCluster.eventually("NodeCredential " + node, () -> cluster.credential(NAMESPACE, node));
                marks.put("NodeCredential created", Instant.now());
                assertThat(enrolled.getSpec().endorsementKey).as("bound to the TPM the machine reported").isEqualTo(endorsementKey);
                assertThat(enrolled.getSpec().hardware.macs).containsExactly(MAC);
                assertThat(enrolled.getSpec().hardware.smbiosUuid).isEqualTo(SMBIOS_UUID);
                assertThat(enrolled.getSpec().arming).isEqualTo(NodeCredentialSpec.Arming.ONCE);
                assertThat(enrolled.getMetadata().getLabels()).containsEntry(DiscoveredNodeReconciler.DISCOVERED_FROM, discoveredName);

                // The waiting agent is told at its next registration; the machine reboots and boots as the node.
                marks.put("agent told: enrolled", vm.waitFor("tether: .*enrolled as node " + node + "; rebooting", BOOT_PATIENCE).at());
                marks.put("reboot", vm.waitFor("Tether: rebooting into the enrolled node", BOOT_PATIENCE).at());
                marks.put("boot script as the node", vm.waitFor("Tether: booting " + node + " with profile " + PROFILE, BOOT_PATIENCE).at());
                marks.put("kernel running again", vm.waitFor("Linux version", BOOT_PATIENCE).at());
                marks.put("root ready", vm.waitFor("root ready at", BOOT_PATIENCE).at());
                marks.put("login prompt", vm.waitFor("login:", BOOT_PATIENCE).at());

                // Strict host key checking against the cluster's SSH CA only: the host certificate is for this node's name.
                vm.trustHostKeysFrom(knownHosts, node + "." + NAMESPACE + ".tether.internal");
                var login = vm.sshWhenReady(sshKey.privateKey(), "findmnt -n -o FSTYPE /; cat /sys/class/dmi/id/product_uuid; tr ' ' '\\n' < /proc/cmdline | grep '^tether.node='",
                        Duration.ofMinutes(5));
                marks.put("ssh login", Instant.now());
                assertThat(login.status()).as(login.output()).isZero();
                assertThat(login.output().lines().toList()).containsExactly("overlay", SMBIOS_UUID, "tether.node=" + node);

                NodeCredential booted = TetherCluster.eventually("the boot report of " + node, () -> {
                    NodeCredential current = cluster.credential(NAMESPACE, node);
                    return current.getStatus() != null && current.getStatus().lastBoot != null ? current : null;
                });
                assertThat(booted.getStatus().lastBoot.keySource).as("the first key, from the network").isEqualTo(NodeCredentialStatus.KeySource.NETWORK);
                assertThat(booted.getStatus().lastBoot.digest).isEqualTo(result.digest());
                assertThat(booted.getStatus().armed).as("arming: once disarms after the key is fetched").isFalse();
                assertThat(booted.getStatus().hostCertificates).as("host certificates issued").isNotEmpty();
                DiscoveredNode done = discovered(cluster, discoveredName);
                assertThat(done.getStatus().enrolledAs).isEqualTo(node);

                // The administrator names the node's BMC; the operator reads its power, then powers it off.
                cluster.client().resource(new SecretBuilder().withNewMetadata().withName(node + "-bmc").withNamespace(NAMESPACE)
                        .addToLabels(Bmc.USE_LABEL, Bmc.USE).endMetadata()
                        .addToStringData(Bmc.USERNAME_KEY, IpmiSimulator.USER).addToStringData(Bmc.PASSWORD_KEY, BMC_PASSWORD).build()).create();
                editCredential(cluster, node, spec -> {
                    spec.bmc = bmcOf(bmc, node + "-bmc");
                    spec.power = new PowerSpec();
                    spec.power.state = PowerSpec.State.ON;
                });
                TetherCluster.eventually("the operator reading the node's power as On", () -> power(cluster, node) == NodeCredentialStatus.PowerState.ON);
                // Off, gracefully: the BMC presses the power button (ACPI), the node's systemd shuts it down, qemu ends.
                editCredential(cluster, node, spec -> {
                    spec.power.state = PowerSpec.State.OFF;
                    spec.power.shutdownTimeout = "10m";
                });
                marks.put("power off asked", Instant.now());
                marks.put("node powered down", vm.waitFor("reboot: Power down", BOOT_PATIENCE).at());
                Awaitility.await("the BMC's machine off").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                        .until(() -> bmc.machine().isEmpty());
                Awaitility.await("the operator reading the node's power as Off").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> power(cluster, node) == NodeCredentialStatus.PowerState.OFF);
                marks.put("operator reads Off", Instant.now());
                var lastAction = cluster.credential(NAMESPACE, node).getStatus().power.lastAction;
                assertThat(lastAction.action).as("shut down when asked, never cut").isEqualTo("soft-off");
                assertThat(lastAction.outcome).isEqualTo("Succeeded");
                assertThat(ipmitool(bmc, "chassis", "power", "status")).contains("Chassis Power is off");
            }
        } finally {
            report.add(phases(marks));
            String text = String.join("\n", report);
            System.err.println("[VmDiscoveryTest]\n" + text);
            Files.writeString(runDir.resolve("report.txt"), text + "\n");
        }
    }

    /** The tethered test profile, taking registrations from MACs under {@link #MAC_PREFIX}; an administrator accepts them. */
    private static NodeProfile discoveringProfile(ImageCache.CachedImage image, LoginKey key) {
        NodeProfile profile = TetherCluster.profile(PROFILE, image.image(), NodeProfileSpec.ImageMethod.TETHERED, key.publicKey());
        profile.getSpec().discovery = new NodeProfileSpec.Discovery();
        profile.getSpec().discovery.enabled = true;
        profile.getSpec().discovery.macPrefixes = new ArrayList<>(List.of(MAC_PREFIX));
        return profile;
    }

    /** The machine behind the BMC: not started here; the BMC runs it on power-on, wired to the BMC's system interface port. */
    private static VirtualMachine poweredByBmc(Path runDir, SoftwareTpm tpm, TetherCluster cluster, int kcsPort) {
        try {
            return VirtualMachine.builder().mac(MAC).smbiosUuid(SMBIOS_UUID).workDir(runDir).tpmSocket(tpm.controlSocket())
                    .allowReboot(true).bmc(kcsPort).ipxeScript(VirtualMachine.Builder.chainTo(cluster.edgeUrls().getFirst()))
                    .poweredByBmc();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An administrator's ipmitool against the BMC, the password from the environment (as docs/power.md shows). */
    private static String ipmitool(IpmiSimulator bmc, String... command) throws IOException, InterruptedException {
        var line = new ArrayList<>(List.of("ipmitool", "-I", "lanplus", "-H", "127.0.0.1", "-p", Integer.toString(bmc.port),
                "-U", IpmiSimulator.USER, "-E", "-C", "3"));
        line.addAll(List.of(command));
        var builder = new ProcessBuilder(line).redirectErrorStream(true);
        builder.environment().put("IPMI_PASSWORD", bmc.password);
        Process process = builder.start();
        process.getOutputStream().close();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("ipmitool " + String.join(" ", command) + " did not finish");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("ipmitool " + String.join(" ", command) + ": " + output).isZero();
        return output;
    }

    private static Bmc bmcOf(IpmiSimulator simulator, String secret) {
        var bmc = new Bmc();
        bmc.protocol = Bmc.Protocol.IPMI;
        bmc.address = "127.0.0.1";
        bmc.port = simulator.port;
        bmc.credentialsSecret = secret;
        bmc.ipmi = new Bmc.Ipmi();
        bmc.ipmi.cipherSuite = 3;
        return bmc;
    }

    private static void editCredential(TetherCluster cluster, String node, java.util.function.Consumer<NodeCredentialSpec> change) {
        cluster.client().resources(NodeCredential.class).inNamespace(NAMESPACE).withName(node).edit(credential -> {
            change.accept(credential.getSpec());
            return credential;
        });
    }

    private static NodeCredentialStatus.PowerState power(TetherCluster cluster, String node) {
        NodeCredential credential = cluster.credential(NAMESPACE, node);
        return credential.getStatus() == null || credential.getStatus().power == null ? null : credential.getStatus().power.state;
    }

    private static DiscoveredNode discovered(TetherCluster cluster, String name) {
        return cluster.client().resources(DiscoveredNode.class).inNamespace(NAMESPACE).withName(name).get();
    }

    /** Each mark's time from the power-on, and from the mark before. */
    private static String phases(Map<String, Instant> marks) {
        var text = new StringBuilder("discovery of a BMC-powered machine: wall times (host clock, from console lines and API reads)\n");
        Instant start = marks.values().stream().findFirst().orElse(null);
        Instant previous = null;
        for (var mark : marks.entrySet()) {
            text.append(String.format(Locale.ROOT, "  %-26s +%7.1fs%s%n", mark.getKey(), Duration.between(start, mark.getValue()).toMillis() / 1000.0,
                    previous == null ? "" : String.format(Locale.ROOT, "  (%.1fs)", Duration.between(previous, mark.getValue()).toMillis() / 1000.0)));
            previous = mark.getValue();
        }
        return text.toString();
    }
}
