package dev.tether.operator.power;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.Bmc;
import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageSpec;
import dev.tether.api.v1alpha1.Distribution;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeCredentialStatus.PowerState;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.api.v1alpha1.PowerSpec;
import dev.tether.api.v1alpha1.Rollout;
import dev.tether.operator.BuilderJobs;
import dev.tether.operator.OperatorHarness;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A profile's rolling reboot onto a newly published image, carried out through two real IPMI BMCs (ipmi_sim): one node
 * at a time, the next only once the last reported booting the new version (the boot report is played here as the node
 * API writes it).
 */
class RollingRebootTest {
    private static final String OLD = "sha256:" + "0".repeat(64);
    private static final String NEW = "sha256:" + "b".repeat(64);
    private static final String PASSWORD = "roll-pw-51c2";

    @TempDir
    Path dir;
    OperatorHarness harness;
    IpmiSimulator bmc1;
    IpmiSimulator bmc2;

    @AfterEach
    void stop() {
        if (harness != null) {
            harness.close();
        }
        for (var bmc : new IpmiSimulator[] {bmc1, bmc2}) {
            if (bmc != null) {
                bmc.close();
            }
        }
    }

    @Test
    void aNewImageRebootsTheProfileOneNodeAtATime() throws Exception {
        IpmiSimulator.assumeInstalled();
        bmc1 = IpmiSimulator.start(Files.createDirectories(dir.resolve("n1")), PASSWORD);
        bmc2 = IpmiSimulator.start(Files.createDirectories(dir.resolve("n2")), PASSWORD);
        harness = new OperatorHarness("http://127.0.0.1:9", null, config -> config.withPower(
                new PowerSettings(Duration.ofSeconds(2), Duration.ofSeconds(3), Duration.ofSeconds(20), 2, "ipmitool")));
        harness.client.resource(new SecretBuilder().withNewMetadata().withName("bmc").withNamespace(NAMESPACE)
                .addToLabels(Bmc.USE_LABEL, Bmc.USE).endMetadata()
                .addToStringData(Bmc.USERNAME_KEY, IpmiSimulator.USER).addToStringData(Bmc.PASSWORD_KEY, PASSWORD).build()).create();
        harness.client.resource(credential("n1", bmc1.port)).create();
        harness.client.resource(credential("n2", bmc2.port)).create();
        long n1 = eventually(() -> bmc1.machine().orElse(null));
        long n2 = eventually(() -> bmc2.machine().orElse(null));
        eventually(() -> assertThat(List.of(status("n1").power.state, status("n2").power.state)).containsOnly(PowerState.ON));
        reportBoot("n1", OLD);
        reportBoot("n2", OLD);

        var image = new DisklessImage();
        image.getMetadata().setName("bookworm");
        image.getMetadata().setNamespace(NAMESPACE);
        image.setSpec(new DisklessImageSpec());
        image.getSpec().distribution = Distribution.DEBIAN;
        image.getSpec().release = "bookworm";
        harness.client.resource(image).create();
        eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("bookworm-build-g1").get());
        BuilderJobs.succeed(harness, "bookworm-build-g1", BuilderJobs.result(NEW, "6.1.0-28-amd64", 100_000_000L));
        var profile = new NodeProfile();
        profile.getMetadata().setName("compute");
        profile.getMetadata().setNamespace(NAMESPACE);
        profile.setSpec(new NodeProfileSpec());
        profile.getSpec().image = new NodeProfileSpec.ImageRef("bookworm", null);
        profile.getSpec().rollout = new Rollout();
        profile.getSpec().rollout.maxUnavailable = new IntOrString(1);
        harness.client.resource(profile).create();

        eventually(() -> assertThat(bmc1.machine()).isPresent().isNotEqualTo(java.util.Optional.of(n1)));
        long n1Again = bmc1.machine().orElseThrow();
        eventually(() -> assertThat(status("n1").power.rolloutReboot).isEqualTo(NEW));
        eventually(() -> {
            var rollout = harness.client.resources(NodeProfile.class).inNamespace(NAMESPACE).withName("compute").get().getStatus().rollout;
            assertThat(rollout.rebooting).extracting(r -> r.name).containsExactly("n1");
            assertThat(rollout.waiting).isEqualTo(1);
        });
        double reads = harness.operator().metrics().counter("tether.bmc.reads", "outcome", "ok").count();
        eventually(() -> assertThat(harness.operator().metrics().counter("tether.bmc.reads", "outcome", "ok").count()).isGreaterThan(reads + 3));
        assertThat(bmc2.machine()).as("n2 waits while n1 has not reported the new version").contains(n2);

        reportBoot("n1", NEW);
        eventually(() -> assertThat(bmc2.machine()).isPresent().isNotEqualTo(java.util.Optional.of(n2)));
        eventually(() -> assertThat(status("n2").power.rolloutReboot).isEqualTo(NEW));
        assertThat(bmc1.machine()).as("n1 is not rebooted again").contains(n1Again);

        reportBoot("n2", NEW);
        eventually(() -> {
            var status = harness.client.resources(NodeProfile.class).inNamespace(NAMESPACE).withName("compute").get().getStatus();
            assertThat(status.rollout.rebooting).isEmpty();
            assertThat(status.rollout.waiting).isZero();
            assertThat(status.nodesOnDigest).isEqualTo(2);
            assertThat(Condition.find(status.conditions, Condition.RECONCILING)).satisfiesAnyOf(
                    c -> assertThat(c).isNull(), c -> assertThat(c.reason).isNotEqualTo("RollingOut"));
        });
    }

    /** What the node API writes when a node reports its boot. */
    private void reportBoot(String name, String digest) {
        harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName(name).editStatus(c -> {
            c.getStatus().lastBoot = new NodeCredentialStatus.LastBoot();
            c.getStatus().lastBoot.digest = digest;
            c.getStatus().lastBoot.bootedAt = java.time.Instant.now().toString();
            return c;
        });
    }

    private NodeCredential credential(String name, int port) {
        return IpmiCredentials.credential(name, "52:54:00:00:01:0" + name.charAt(1), port, "bmc", PowerSpec.State.ON, null);
    }

    private NodeCredentialStatus status(String name) {
        var credential = harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName(name).get();
        return credential == null || credential.getStatus() == null ? new NodeCredentialStatus() : credential.getStatus();
    }
}
