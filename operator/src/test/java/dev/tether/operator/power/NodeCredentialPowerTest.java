package dev.tether.operator.power;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.Bmc;
import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeCredentialStatus.PowerState;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.api.v1alpha1.PowerSpec;
import dev.tether.operator.OperatorHarness;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator carrying out {@code spec.power} through a real IPMI BMC (OpenIPMI's ipmi_sim, whose "machine" is a
 * process it starts on power-on and kills on power-off), against the Fabric8 mock API server.
 */
class NodeCredentialPowerTest {
    private static final String PASSWORD = "bmc-pw-3e7a90";
    private static final PowerSettings FAST = new PowerSettings(Duration.ofSeconds(2), Duration.ofSeconds(3), Duration.ofSeconds(20), 2,
            "ipmitool");

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

    private void start(PowerSettings settings) {
        harness = new OperatorHarness("http://127.0.0.1:9", null, config -> config.withPower(settings));
        var profile = new NodeProfile();
        profile.getMetadata().setName("compute");
        profile.getMetadata().setNamespace(NAMESPACE);
        profile.setSpec(new NodeProfileSpec());
        profile.getSpec().image = new NodeProfileSpec.ImageRef("bookworm", null);
        harness.client.resource(profile).create();
    }

    @Test
    void theOperatorPowersANodeOnRebootsItOnceAndPowersItOff() throws Exception {
        IpmiSimulator.assumeInstalled();
        bmc = IpmiSimulator.start(dir, PASSWORD);
        start(FAST);
        secret(NAMESPACE, "n1-bmc", true);
        harness.client.resource(credential("n1", bmc.port, PowerSpec.State.ON, null)).create();

        long first = eventually(() -> bmc.machine().orElse(null));
        eventually(() -> {
            var power = status("n1").power;
            assertThat(power.state).isEqualTo(PowerState.ON);
            assertThat(power.lastAction.action).isEqualTo("on");
            assertThat(power.lastAction.outcome).isEqualTo("Succeeded");
            assertThat(Condition.find(status("n1").conditions, NodeCredentialStatus.BMC_REACHABLE).isTrue()).isTrue();
            assertThat(Condition.find(status("n1").conditions, Condition.READY).isTrue()).isTrue();
        });
        eventually(() -> assertThat(events("n1")).contains("PoweredOn"));

        edit("n1", c -> c.getSpec().power.rebootRequest = "2026-12-02-1");
        long second = eventually(() -> bmc.machine().filter(pid -> pid != first).orElse(null));
        eventually(() -> assertThat(status("n1").power.rebootRequest).isEqualTo("2026-12-02-1"));
        eventually(() -> assertThat(events("n1")).contains("Rebooted"));

        // Applying the same manifest again (here: a label, and the same token) reboots nothing, however often the BMC is read.
        edit("n1", c -> c.getMetadata().setLabels(Map.of("rack", "r7")));
        double reads = reads();
        eventually(() -> assertThat(reads()).isGreaterThanOrEqualTo(reads + 3));
        assertThat(bmc.machine()).contains(second);
        assertThat(harness.operator().metrics().counter("tether.power.actions", "action", "reboot", "outcome", "succeeded").count())
                .isEqualTo(1.0);

        edit("n1", c -> c.getSpec().power.state = PowerSpec.State.OFF);
        eventually(() -> assertThat(bmc.machine()).isEmpty());
        eventually(() -> assertThat(status("n1").power.state).isEqualTo(PowerState.OFF));
        eventually(() -> assertThat(events("n1")).contains("PoweredOff"));
        assertThat(harness.client.getKubernetesSerialization().asJson(harness.client.resources(NodeCredential.class)
                .inNamespace(NAMESPACE).withName("n1").get())).doesNotContain(PASSWORD);
    }

    /**
     * With a shutdown timeout, powering off first asks the node to shut down through the BMC; a node that does not act on
     * it (this one's CPU never runs) has its power cut when the timeout is up.
     */
    @Test
    void aNodeThatIgnoresTheShutdownRequestHasItsPowerCutWhenItsTimeoutIsUp() throws Exception {
        IpmiSimulator.assumeInstalled();
        org.junit.jupiter.api.Assumptions.assumeTrue(IpmiSimulator.qemuInstalled(), "no qemu-system-x86_64 (apt-get install qemu-system-x86)");
        bmc = IpmiSimulator.start(dir, PASSWORD, null, IpmiSimulator::wiredMachine);
        start(FAST);
        secret(NAMESPACE, "n4-bmc", true);
        harness.client.resource(credential("n4", bmc.port, PowerSpec.State.ON, null)).create();
        long machine = eventually(() -> bmc.machine().orElse(null));
        eventually(() -> assertThat(status("n4").power.state).isEqualTo(PowerState.ON));

        edit("n4", c -> {
            c.getSpec().power.state = PowerSpec.State.OFF;
            c.getSpec().power.shutdownTimeout = "10s";
        });
        eventually(() -> {
            assertThat(events("n4")).contains("ShutdownRequested");
            var stillOn = Condition.find(status("n4").conditions, Condition.RECONCILING);
            assertThat(stillOn.reason).isEqualTo("ShuttingDown");
            assertThat(stillOn.message).contains("spec.power.shutdownTimeout");
        });
        assertThat(bmc.machine()).as("asked, not cut yet").contains(machine);
        eventually(() -> assertThat(bmc.machine()).isEmpty());
        eventually(() -> {
            var power = status("n4").power;
            assertThat(power.state).isEqualTo(PowerState.OFF);
            assertThat(power.lastAction.action).isEqualTo("off");
        });
        eventually(() -> assertThat(events("n4")).containsSubsequence("ShutdownRequested", "PoweredOff"));
    }

    /** A BMC that takes no shutdown request (ipmi_sim, for a "machine" that is a bare process) has the power cut at once. */
    @Test
    void aBmcThatRefusesTheShutdownRequestHasThePowerCutAtOnce() throws Exception {
        IpmiSimulator.assumeInstalled();
        bmc = IpmiSimulator.start(dir, PASSWORD);
        start(FAST);
        secret(NAMESPACE, "n5-bmc", true);
        harness.client.resource(credential("n5", bmc.port, PowerSpec.State.ON, null)).create();
        eventually(() -> bmc.machine().orElse(null));
        eventually(() -> assertThat(status("n5").power.state).isEqualTo(PowerState.ON));

        edit("n5", c -> {
            c.getSpec().power.state = PowerSpec.State.OFF;
            c.getSpec().power.shutdownTimeout = "30m";
        });
        eventually(() -> assertThat(bmc.machine()).isEmpty());
        eventually(() -> assertThat(status("n5").power.state).isEqualTo(PowerState.OFF));
        eventually(() -> assertThat(events("n5")).containsSubsequence("PowerActionFailed", "PoweredOff"));
    }

    /**
     * Whoever may write a NodeCredential may name any Secret and any BMC address: the operator sends only a Secret of the
     * credential's own namespace that its owner marked for BMCs, so no other Secret can be sent to an address of the
     * writer's choosing.
     */
    @Test
    void anUnmarkedSecretOrOneOfAnotherNamespaceIsNeverSentToTheBmc() throws Exception {
        IpmiSimulator.assumeInstalled();
        bmc = IpmiSimulator.start(dir, PASSWORD);
        start(FAST);
        harness.client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName("other")
                .endMetadata().build()).create();
        secret(NAMESPACE, "unmarked", false);
        secret("other", "elsewhere", true);
        var unmarked = credential("n2", bmc.port, PowerSpec.State.ON, null);
        unmarked.getSpec().bmc.credentialsSecret = "unmarked";
        var elsewhere = credential("n3", bmc.port, PowerSpec.State.ON, null);
        elsewhere.getSpec().bmc.credentialsSecret = "elsewhere";
        harness.client.resource(unmarked).create();
        harness.client.resource(elsewhere).create();

        for (String name : List.of("n2", "n3")) {
            eventually(() -> {
                var stalled = Condition.find(status(name).conditions, Condition.STALLED);
                assertThat(stalled).isNotNull();
                assertThat(stalled.reason).isEqualTo("BmcSecretNotUsable");
                assertThat(stalled.message).contains("tether.dev/use=bmc").contains("kubectl -n " + NAMESPACE + " label secret");
                assertThat(Condition.find(status(name).conditions, NodeCredentialStatus.BMC_REACHABLE).isTrue()).isFalse();
            });
        }
        assertThat(harness.operator().metrics().counter("tether.bmc.reads", "outcome", "ok").count()).as("no talk with the BMC").isZero();
        assertThat(bmc.machine()).isEmpty();
    }

    /** A BMC that does not answer holds a worker, not a reconcile thread: other credentials get their status meanwhile. */
    @Test
    void aBmcThatDoesNotAnswerSaysSoAndHoldsUpNoOtherCredential() throws Exception {
        Path release = dir.resolve("release");
        Path stuck = dir.resolve("stuck-ipmitool");
        Files.writeString(stuck, "#!/bin/sh\nwhile [ ! -e " + release + " ]; do sleep 0.1; done\n"
                + "echo 'Error: Unable to establish IPMI v2 / RMCP+ session' >&2\nexit 1\n");
        Files.setPosixFilePermissions(stuck, PosixFilePermissions.fromString("rwx------"));
        start(new PowerSettings(Duration.ofMinutes(5), Duration.ofSeconds(3), Duration.ofMinutes(5), 2, stuck.toString()));
        secret(NAMESPACE, "n4-bmc", true);
        harness.client.resource(credential("n4", 623, PowerSpec.State.ON, null)).create();
        var n4 = eventually(() -> harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName("n4").get());
        eventually(() -> assertThat(harness.operator().power().busy(n4)).isTrue());

        var plain = credential("n5", 623, null, null);
        plain.getSpec().bmc = null;
        plain.getSpec().power = null;
        harness.client.resource(plain).create();
        eventually(() -> assertThat(Condition.find(status("n5").conditions, Condition.READY).isTrue()).isTrue());
        assertThat(harness.operator().power().busy(n4)).as("n4's BMC still has not answered").isTrue();
        assertThat(Condition.find(status("n4").conditions, NodeCredentialStatus.BMC_REACHABLE).status).isEqualTo(Condition.UNKNOWN);

        Files.createFile(release);
        eventually(() -> {
            var reachable = Condition.find(status("n4").conditions, NodeCredentialStatus.BMC_REACHABLE);
            assertThat(reachable.status).isEqualTo(Condition.FALSE);
            assertThat(reachable.reason).isEqualTo("BmcUnreachable");
            assertThat(reachable.message).contains("127.0.0.1:623");
            assertThat(status("n4").power.state).isEqualTo(PowerState.UNKNOWN);
            assertThat(Condition.find(status("n4").conditions, Condition.RECONCILING).message).contains("Cannot confirm the node is on");
        });
        eventually(() -> assertThat(events("n4")).contains("BmcUnreachable"));
    }

    private NodeCredential credential(String name, int port, PowerSpec.State state, String reboot) {
        return IpmiCredentials.credential(name, "52:54:00:00:00:0" + name.charAt(1), port, name + "-bmc", state, reboot);
    }

    private void secret(String namespace, String name, boolean marked) {
        var secret = new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .addToStringData(Bmc.USERNAME_KEY, IpmiSimulator.USER).addToStringData(Bmc.PASSWORD_KEY, PASSWORD + "\n");
        if (marked) {
            secret.editMetadata().addToLabels(Bmc.USE_LABEL, Bmc.USE).endMetadata();
        }
        harness.client.resource(secret.build()).create();
    }

    private void edit(String name, java.util.function.Consumer<NodeCredential> change) {
        harness.edit(NodeCredential.class, name, c -> {
            change.accept(c);
            return c;
        });
    }

    private double reads() {
        return harness.operator().metrics().counter("tether.bmc.reads", "outcome", "ok").count();
    }

    private NodeCredentialStatus status(String name) {
        var credential = harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName(name).get();
        return credential == null || credential.getStatus() == null ? new NodeCredentialStatus() : credential.getStatus();
    }

    /** The reconciler records a plan's events after it writes the status, so a test that saw the status waits for them too. */
    private List<String> events(String name) {
        return harness.client.resources(Event.class).inNamespace(NAMESPACE).list().getItems().stream()
                .filter(e -> e.getRegarding() != null && name.equals(e.getRegarding().getName())).map(Event::getReason).toList();
    }
}
