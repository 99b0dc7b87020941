package dev.tether.e2e.vm;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.api.v1alpha1.Bmc;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeCredentialStatus.PowerState;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.api.v1alpha1.PowerSpec;
import dev.tether.dev.ImageCache;
import dev.tether.dev.VirtualMachine;
import dev.tether.operator.OperatorHarness;
import dev.tether.operator.power.IpmiSimulator;
import dev.tether.operator.power.PowerSettings;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/**
 * A qemu machine behind a real BMC: OpenIPMI's ipmi_sim starts the VM on IPMI power-on (its {@code startcmd}), and the
 * VM's own IPMI system interface ({@code ipmi-bmc-extern} on a KCS device) lets the BMC shut it down. The operator, told
 * by a NodeCredential, powers it on, sees the machine boot (firmware, then iPXE asking the network for its script, on
 * the serial console), reboots it with a reboot token and powers it off. The full Tether boot of a machine powered on
 * this way is VmBootTest's part; this test stops at the network boot firmware to stay short.
 */
@Tag("vm")
class VmPowerTest {
    private static final String PASSWORD = "vm-bmc-pw-2c44";

    @TempDir
    Path dir;
    OperatorHarness harness;
    IpmiSimulator bmc;

    @AfterEach
    void stop() {
        if (harness != null) {
            harness.close();
        }
        if (bmc != null) {
            bmc.close();
        }
    }

    @VmTest(minutes = 8, needsImage = false)
    void theOperatorPowersTheMachineOnSeesItBootRebootsItAndPowersItOff() throws Exception {
        IpmiSimulator.assumeInstalled();
        assumeTrue(ImageCache.onPath("qemu-system-x86_64"), "SKIPPED: no qemu-system-x86_64 (apt-get install qemu-system-x86)");
        assumeTrue(Files.isReadable(VirtualMachine.IPXE_ROM), "SKIPPED: no iPXE ROM " + VirtualMachine.IPXE_ROM + " (apt-get install ipxe-qemu)");
        bmc = IpmiSimulator.start(dir, PASSWORD, null, kcsPort -> String.join(" ",
                "exec nice -n 10 qemu-system-x86_64 -machine pc -m 256 -nographic -monitor none",
                "-serial file:" + dir.resolve("console-") + "$$.log",
                "-chardev socket,id=ipmi0,host=127.0.0.1,port=" + kcsPort + ",reconnect=1",
                "-device ipmi-bmc-extern,chardev=ipmi0,id=bmc0 -device isa-ipmi-kcs,bmc=bmc0",
                "-netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:77 -boot n"));
        harness = new OperatorHarness("http://127.0.0.1:9", null, config -> config.withPower(
                new PowerSettings(Duration.ofSeconds(3), Duration.ofSeconds(15), Duration.ofSeconds(30), 2, "ipmitool")));
        harness.client.resource(new SecretBuilder().withNewMetadata().withName("vm-bmc").withNamespace(NAMESPACE)
                .addToLabels(Bmc.USE_LABEL, Bmc.USE).endMetadata()
                .addToStringData(Bmc.USERNAME_KEY, IpmiSimulator.USER).addToStringData(Bmc.PASSWORD_KEY, PASSWORD).build()).create();
        var profile = new NodeProfile();
        profile.getMetadata().setName("compute");
        profile.getMetadata().setNamespace(NAMESPACE);
        profile.setSpec(new NodeProfileSpec());
        profile.getSpec().image = new NodeProfileSpec.ImageRef("bookworm", null);
        harness.client.resource(profile).create();
        harness.client.resource(credential()).create();

        long first = eventually(() -> bmc.machine().orElse(null));
        awaitBoot(first);
        eventually(() -> assertThat(status().power.state).isEqualTo(PowerState.ON));

        harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName("vm1").edit(c -> {
            c.getSpec().power.rebootRequest = "vm-1";
            return c;
        });
        long second = eventually(() -> bmc.machine().filter(pid -> pid != first).orElse(null));
        awaitBoot(second);
        eventually(() -> assertThat(status().power.rebootRequest).isEqualTo("vm-1"));

        harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName("vm1").edit(c -> {
            c.getSpec().power.state = PowerSpec.State.OFF;
            return c;
        });
        eventually(() -> assertThat(bmc.machine()).isEmpty());
        eventually(() -> assertThat(status().power.state).isEqualTo(PowerState.OFF));
    }

    /** The machine's firmware ran its network boot ROM, which configured the NIC and asked for a boot file. */
    private void awaitBoot(long machine) {
        Path console = dir.resolve("console-" + machine + ".log");
        org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(read(console)).contains("iPXE initialising devices").contains("Configuring (net0 52:54:00:12:34:77)"));
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1) : "";
    }

    private NodeCredential credential() {
        var credential = new NodeCredential();
        credential.getMetadata().setName("vm1");
        credential.getMetadata().setNamespace(NAMESPACE);
        credential.setSpec(new NodeCredentialSpec());
        credential.getSpec().nodeName = "vm1";
        credential.getSpec().profile = "compute";
        credential.getSpec().hardware = new NodeCredentialSpec.Hardware();
        credential.getSpec().hardware.macs = List.of("52:54:00:12:34:77");
        credential.getSpec().bmc = new Bmc();
        credential.getSpec().bmc.protocol = Bmc.Protocol.IPMI;
        credential.getSpec().bmc.address = "127.0.0.1";
        credential.getSpec().bmc.port = bmc.port;
        credential.getSpec().bmc.credentialsSecret = "vm-bmc";
        credential.getSpec().bmc.ipmi = new Bmc.Ipmi();
        credential.getSpec().bmc.ipmi.cipherSuite = 3;
        credential.getSpec().power = new PowerSpec();
        credential.getSpec().power.state = PowerSpec.State.ON;
        return credential;
    }

    private NodeCredentialStatus status() {
        var credential = harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName("vm1").get();
        return credential == null || credential.getStatus() == null ? new NodeCredentialStatus() : credential.getStatus();
    }
}
