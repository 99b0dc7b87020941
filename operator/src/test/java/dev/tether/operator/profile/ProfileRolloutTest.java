package dev.tether.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.Bmc;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeCredentialStatus.PowerState;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.api.v1alpha1.NodeProfileStatus;
import dev.tether.api.v1alpha1.Rollout;
import dev.tether.api.v1alpha1.RolloutStatus.RebootingNode;
import dev.tether.operator.Health;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rules of a profile's rolling reboot ({@link ProfileRollout#plan}), without a cluster. */
class ProfileRolloutTest {
    private static final String OLD = "sha256:" + "0".repeat(64);
    private static final String NEW = "sha256:" + "1".repeat(64);
    private static final Instant T0 = Instant.parse("2026-12-02T03:00:00Z");

    @Test
    void oneNodeAtATimeEachWaitingForTheLastToReportTheNewVersion() {
        var profile = profile(new IntOrString(1));
        var nodes = List.of(node("n1", OLD, PowerState.ON), node("n2", OLD, PowerState.ON), node("n3", OLD, PowerState.ON));

        var step = ProfileRollout.plan(profile, NEW, nodes, T0);
        assertThat(step.reboot()).containsExactly("n1");
        assertThat(step.status().rebooting).extracting(r -> r.name).containsExactly("n1");
        assertThat(step.status().waiting).isEqualTo(2);
        assertThat(step.health()).get().isInstanceOfSatisfying(Health.InProgress.class, h -> assertThat(h.message()).contains("n1 now, 2 waiting"));
        assertThat(step.recheck()).contains(Duration.ofMinutes(15).plusSeconds(1));

        profile.getStatus().rollout = step.status();
        asked(nodes.get(0));
        step = ProfileRollout.plan(profile, NEW, nodes, T0.plusSeconds(60));
        assertThat(step.reboot()).as("n1 is still down").isEmpty();
        assertThat(step.status().rebooting).singleElement().satisfies(r -> assertThat(r.requestedAt).isEqualTo(T0.toString()));

        nodes.get(0).getStatus().lastBoot.digest = NEW;
        step = ProfileRollout.plan(profile, NEW, nodes, T0.plusSeconds(120));
        assertThat(step.reboot()).containsExactly("n2");
    }

    @Test
    void aPercentageBoundsHowManyAreDownAtOnce() {
        var nodes = List.of(node("a", OLD, PowerState.ON), node("b", OLD, PowerState.ON), node("c", OLD, PowerState.ON), node("d", OLD, PowerState.ON));
        assertThat(ProfileRollout.plan(profile(new IntOrString("50%")), NEW, nodes, T0).reboot()).containsExactly("a", "b");
        assertThat(ProfileRollout.plan(profile(new IntOrString("10%")), NEW, nodes, T0).reboot()).as("at least one").containsExactly("a");
        assertThat(ProfileRollout.plan(profile(null), NEW, nodes, T0).reboot()).as("default 1").containsExactly("a");
    }

    @Test
    void aNodeThatDoesNotReportWithinTheBootTimeoutStopsTheRollout() {
        var profile = profile(new IntOrString(2));
        var nodes = List.of(node("n1", OLD, PowerState.ON), node("n2", OLD, PowerState.ON), node("n3", OLD, PowerState.ON));
        asked(nodes.get(0));
        profile.getStatus().rollout = new dev.tether.api.v1alpha1.RolloutStatus();
        profile.getStatus().rollout.digest = NEW;
        profile.getStatus().rollout.rebooting.add(new RebootingNode("n1", T0.toString()));

        var step = ProfileRollout.plan(profile, NEW, nodes, T0.plus(Duration.ofMinutes(15)));
        assertThat(step.status().failed).containsExactly("n1");
        assertThat(step.reboot()).as("nothing more is rebooted").isEmpty();
        assertThat(step.health()).get().isInstanceOfSatisfying(Health.Stalled.class, h -> assertThat(h.message())
                .contains("n1 did not report booting it within 15 min").contains("remove spec.rollout"));
    }

    @Test
    void nodesThatAreOffNeverBootedOrHaveNoBmcAreLeftAlone() {
        var off = node("off", OLD, PowerState.OFF);
        var fresh = node("fresh", null, PowerState.ON);
        var manual = node("manual", OLD, PowerState.ON);
        manual.getSpec().bmc = null;
        var current = node("current", NEW, PowerState.ON);
        var step = ProfileRollout.plan(profile(new IntOrString(5)), NEW, List.of(off, fresh, manual, current), T0);
        assertThat(step.reboot()).isEmpty();
        assertThat(step.status().waiting).isZero();
        assertThat(step.health()).isEmpty();
        assertThat(step.recheck()).isEmpty();

        var noRollout = profile(null);
        noRollout.getSpec().rollout = null;
        assertThat(ProfileRollout.plan(noRollout, NEW, List.of(manual), T0).status()).isNull();
    }

    private static void asked(NodeCredential node) {
        node.getMetadata().setAnnotations(Map.of(NodeCredential.ROLLOUT_REBOOT_ANNOTATION, NEW));
    }

    private static NodeProfile profile(IntOrString maxUnavailable) {
        var profile = new NodeProfile();
        profile.getMetadata().setName("compute");
        profile.getMetadata().setNamespace("hpc");
        profile.setSpec(new NodeProfileSpec());
        profile.getSpec().rollout = new Rollout();
        profile.getSpec().rollout.maxUnavailable = maxUnavailable;
        profile.setStatus(new NodeProfileStatus());
        return profile;
    }

    private static NodeCredential node(String name, String booted, PowerState power) {
        var node = new NodeCredential();
        node.getMetadata().setName(name);
        node.getMetadata().setNamespace("hpc");
        node.setSpec(new NodeCredentialSpec());
        node.getSpec().profile = "compute";
        node.getSpec().bmc = new Bmc();
        node.setStatus(new NodeCredentialStatus());
        if (booted != null) {
            node.getStatus().lastBoot = new NodeCredentialStatus.LastBoot();
            node.getStatus().lastBoot.digest = booted;
        }
        node.getStatus().power = new NodeCredentialStatus.Power();
        node.getStatus().power.state = power;
        return node;
    }
}
