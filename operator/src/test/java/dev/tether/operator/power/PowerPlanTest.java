package dev.tether.operator.power;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.Bmc;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeCredentialStatus.PowerState;
import dev.tether.api.v1alpha1.PowerSpec;
import dev.tether.operator.Health;
import dev.tether.operator.power.BmcReading.ActionOutcome;
import dev.tether.operator.power.BmcReading.Problem;
import dev.tether.operator.power.PowerPlan.Act;
import dev.tether.operator.power.PowerPlan.Probe;
import dev.tether.operator.power.PowerPlan.Wait;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The rules of {@link PowerPlan}, without a cluster or a BMC. */
class PowerPlanTest {
    private static final Instant T0 = Instant.parse("2026-12-02T03:00:00Z");
    private static final PowerSettings SETTINGS = new PowerSettings(Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(20), 4,
            "ipmitool");

    @Test
    void aNewRebootTokenAsksForOneRebootAndIsRecordedOnceDone() {
        var credential = credential(PowerSpec.State.ON, "r1");
        var plan = PowerPlan.plan(credential, Optional.of(reading(PowerState.ON, T0, null)), false, T0, SETTINGS);
        assertThat(plan.request()).isEqualTo(new Act(PowerAction.REBOOT, "rebootRequest:r1"));
        assertThat(plan.health()).get().isInstanceOf(Health.InProgress.class);

        var done = new ActionOutcome(PowerAction.REBOOT, "rebootRequest:r1", true, "The BMC accepted reboot.", T0.plusSeconds(2));
        plan = PowerPlan.plan(credential, Optional.of(reading(PowerState.ON, T0.plusSeconds(2), done)), false, T0.plusSeconds(2), SETTINGS);
        assertThat(plan.power().rebootRequest).isEqualTo("r1");
        assertThat(plan.power().lastAction.outcome).isEqualTo("Succeeded");
        assertThat(plan.request()).isInstanceOf(Wait.class);
        assertThat(plan.health()).isEmpty();
        assertThat(plan.events()).extracting(PowerPlan.Event::reason).containsExactly("Rebooted");

        credential.getStatus().power = plan.power();
        plan = PowerPlan.plan(credential, Optional.of(reading(PowerState.ON, T0.plusSeconds(70), done)), false, T0.plusSeconds(70), SETTINGS);
        assertThat(plan.request()).as("the same token again: nothing to do").isInstanceOf(Wait.class);
        assertThat(plan.events()).isEmpty();
    }

    /** A status write not seen yet must not make the operator reboot twice: the reading remembers the last action. */
    @Test
    void aRebootIsNotRepeatedWhileTheStatusThatRecordsItIsStale() {
        var credential = credential(PowerSpec.State.ON, "r2");
        var done = new ActionOutcome(PowerAction.REBOOT, "rebootRequest:r2", true, "ok", T0);
        var plan = PowerPlan.plan(credential, Optional.of(reading(PowerState.ON, T0.plusSeconds(120), done)), false, T0.plusSeconds(120),
                SETTINGS);
        assertThat(plan.request()).isInstanceOf(Wait.class);
        assertThat(plan.power().rebootRequest).isEqualTo("r2");
    }

    @Test
    void aRebootAskedForWhileTheNodeIsToBeOffIsMoot() {
        var credential = credential(PowerSpec.State.OFF, "r3");
        var plan = PowerPlan.plan(credential, Optional.of(reading(PowerState.OFF, T0, null)), false, T0, SETTINGS);
        assertThat(plan.request()).isNotInstanceOf(Act.class);
        assertThat(plan.power().rebootRequest).isEqualTo("r3");
        assertThat(plan.events()).extracting(PowerPlan.Event::reason).containsExactly("RebootSkipped");
    }

    @Test
    void aPowerChangeIsNotRepeatedOnAReadingTakenBeforeTheBmcSettled() {
        var credential = credential(PowerSpec.State.OFF, null);
        var plan = PowerPlan.plan(credential, Optional.of(reading(PowerState.ON, T0, null)), false, T0, SETTINGS);
        assertThat(plan.request()).isEqualTo(new Act(PowerAction.OFF, "state"));

        var off = new ActionOutcome(PowerAction.OFF, "state", true, "ok", T0.plusSeconds(1));
        var stillOn = reading(PowerState.ON, T0.plusSeconds(1), off);
        plan = PowerPlan.plan(credential, Optional.of(stillOn), false, T0.plusSeconds(1), SETTINGS);
        assertThat(plan.request()).isInstanceOf(Wait.class);
        assertThat(plan.recheck()).isEqualTo(Duration.ofSeconds(30));

        plan = PowerPlan.plan(credential, Optional.of(stillOn), false, T0.plusSeconds(31), SETTINGS);
        assertThat(plan.request()).as("read again first").isInstanceOf(Probe.class);

        plan = PowerPlan.plan(credential, Optional.of(reading(PowerState.ON, T0.plusSeconds(32), off)), false, T0.plusSeconds(32), SETTINGS);
        assertThat(plan.request()).as("still on after settling: try again").isEqualTo(new Act(PowerAction.OFF, "state"));
    }

    /** With a shutdown timeout the node is asked to shut down first, and its power is cut only when its time is up. */
    @Test
    void aNodeToBeOffIsAskedToShutDownAndCutOffOnlyWhenItsShutdownTimeoutIsUp() {
        var credential = credential(PowerSpec.State.OFF, null);
        credential.getSpec().power.shutdownTimeout = "2m";
        credential.getStatus().power = new NodeCredentialStatus.Power();
        credential.getStatus().power.state = PowerState.ON;
        credential.getStatus().power.changedAt = T0.minusSeconds(3600).toString();
        var plan = PowerPlan.plan(credential, Optional.of(reading(PowerState.ON, T0, null)), false, T0, SETTINGS);
        assertThat(plan.request()).isEqualTo(new Act(PowerAction.SOFT_OFF, "state"));

        var asked = new ActionOutcome(PowerAction.SOFT_OFF, "state", true, "ok", T0.plusSeconds(1));
        plan = PowerPlan.plan(credential, Optional.of(reading(PowerState.ON, T0.plusSeconds(1), asked)), false, T0.plusSeconds(1), SETTINGS);
        assertThat(plan.request()).as("asked once, not again while it shuts down").isInstanceOf(Wait.class);
        assertThat(plan.recheck()).isEqualTo(Duration.ofSeconds(60));
        assertThat(plan.events()).extracting(PowerPlan.Event::reason).containsExactly("ShutdownRequested");
        assertThat(plan.power().lastAction.action).isEqualTo("soft-off");
        assertThat(plan.health()).get().isInstanceOfSatisfying(Health.InProgress.class, h -> assertThat(h.reason()).isEqualTo("ShuttingDown"));
        credential.getStatus().power = plan.power();

        plan = PowerPlan.plan(credential, Optional.of(reading(PowerState.ON, T0.plusSeconds(61), asked)), false, T0.plusSeconds(100), SETTINGS);
        assertThat(plan.request()).as("still shutting down: only read").isInstanceOf(Wait.class);
        assertThat(plan.recheck()).as("looked at again when its time is up").isEqualTo(Duration.ofSeconds(21));
        plan = PowerPlan.plan(credential, Optional.of(reading(PowerState.ON, T0.plusSeconds(121), asked)), false, T0.plusSeconds(121), SETTINGS);
        assertThat(plan.request()).as("still on when its time is up: cut").isEqualTo(new Act(PowerAction.OFF, "state"));

        // A node that turned itself off in time is not cut.
        plan = PowerPlan.plan(credential, Optional.of(reading(PowerState.OFF, T0.plusSeconds(40), asked)), false, T0.plusSeconds(40), SETTINGS);
        assertThat(plan.request()).isInstanceOf(Wait.class);
        assertThat(plan.power().state).isEqualTo(PowerState.OFF);
        assertThat(plan.health()).isEmpty();

        // Turned on again by hand later, with spec still off: asked to shut down anew, not cut at once.
        credential.getStatus().power = plan.power();
        plan = PowerPlan.plan(credential, Optional.of(reading(PowerState.ON, T0.plusSeconds(900), asked)), false, T0.plusSeconds(900), SETTINGS);
        assertThat(plan.request()).isEqualTo(new Act(PowerAction.SOFT_OFF, "state"));
    }

    @Test
    void aBmcThatRefusesTheShutdownRequestHasThePowerCutAtOnce() {
        var credential = credential(PowerSpec.State.OFF, null);
        credential.getSpec().power.shutdownTimeout = "5m";
        var refused = new ActionOutcome(PowerAction.SOFT_OFF, "state", false, "refused 'chassis power soft'", T0);
        var reading = new BmcReading(PowerState.ON, new Problem("BmcRefused", "refused", false), T0, refused);
        var plan = PowerPlan.plan(credential, Optional.of(reading), false, T0.plusSeconds(1), SETTINGS);
        assertThat(plan.request()).isEqualTo(new Act(PowerAction.OFF, "state"));
        assertThat(plan.events()).extracting(PowerPlan.Event::reason).contains("PowerActionFailed");
    }

    @Test
    void withoutAShutdownTimeoutThePowerIsCutAtOnce() {
        for (String timeout : new String[] {null, "", "0s"}) {
            var credential = credential(PowerSpec.State.OFF, null);
            credential.getSpec().power.shutdownTimeout = timeout;
            assertThat(PowerPlan.plan(credential, Optional.of(reading(PowerState.ON, T0, null)), false, T0, SETTINGS).request())
                    .as("shutdownTimeout " + timeout).isEqualTo(new Act(PowerAction.OFF, "state"));
        }
    }

    @Test
    void aFailedActionIsRetriedOnlyAfterThePollInterval() {
        var credential = credential(PowerSpec.State.ON, null);
        var failed = new ActionOutcome(PowerAction.ON, "state", false, "refused", T0);
        var reading = new BmcReading(PowerState.OFF, new Problem("BmcRefused", "refused", false), T0, failed);
        var plan = PowerPlan.plan(credential, Optional.of(reading), false, T0.plusSeconds(10), SETTINGS);
        assertThat(plan.request()).isInstanceOf(Wait.class);
        assertThat(plan.recheck()).isEqualTo(Duration.ofSeconds(50));
        assertThat(plan.events()).extracting(PowerPlan.Event::reason).containsExactly("PowerActionFailed", "BmcRefused");
        assertThat(plan.health()).get().isInstanceOf(Health.InProgress.class);

        plan = PowerPlan.plan(credential, Optional.of(reading), false, T0.plusSeconds(60), SETTINGS);
        assertThat(plan.request()).isEqualTo(new Act(PowerAction.ON, "state"));
    }

    @Test
    void nothingIsAskedOfABmcThatIsBusyAndAnUnusableSecretStallsTheCredential() {
        var credential = credential(PowerSpec.State.ON, "r4");
        assertThat(PowerPlan.plan(credential, Optional.empty(), true, T0, SETTINGS).request()).isInstanceOf(Wait.class);

        var noSecret = new BmcReading(null, new Problem("BmcSecretNotUsable", "label it", true), T0, null);
        var plan = PowerPlan.plan(credential, Optional.of(noSecret), false, T0, SETTINGS);
        assertThat(plan.health()).get().isInstanceOfSatisfying(Health.Stalled.class, s -> assertThat(s.reason()).isEqualTo("BmcSecretNotUsable"));
        assertThat(plan.power().state).isEqualTo(PowerState.UNKNOWN);
    }

    @Test
    void withoutSpecPowerTheStateIsOnlyReadEveryPollInterval() {
        var credential = credential(null, null);
        credential.getSpec().power = null;
        assertThat(PowerPlan.plan(credential, Optional.empty(), false, T0, SETTINGS).request()).isInstanceOf(Probe.class);
        var plan = PowerPlan.plan(credential, Optional.of(reading(PowerState.OFF, T0, null)), false, T0.plusSeconds(5), SETTINGS);
        assertThat(plan.request()).isInstanceOf(Wait.class);
        assertThat(plan.recheck()).isEqualTo(Duration.ofSeconds(55));
        assertThat(plan.health()).isEmpty();
        assertThat(PowerPlan.plan(credential, Optional.of(reading(PowerState.OFF, T0, null)), false, T0.plusSeconds(60), SETTINGS).request())
                .isInstanceOf(Probe.class);
    }

    private static BmcReading reading(PowerState state, Instant at, ActionOutcome last) {
        return new BmcReading(state, null, at, last);
    }

    private static NodeCredential credential(PowerSpec.State state, String reboot) {
        var credential = new NodeCredential();
        credential.getMetadata().setName("n1");
        credential.getMetadata().setNamespace("hpc");
        credential.getMetadata().setGeneration(1L);
        credential.setSpec(new NodeCredentialSpec());
        credential.getSpec().bmc = new Bmc();
        credential.getSpec().power = new PowerSpec();
        credential.getSpec().power.state = state;
        credential.getSpec().power.rebootRequest = reboot;
        credential.setStatus(new NodeCredentialStatus());
        return credential;
    }
}
