package dev.tether.operator.power;

import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeCredentialStatus.PowerActionRecord;
import dev.tether.api.v1alpha1.NodeCredentialStatus.PowerState;
import dev.tether.api.v1alpha1.PowerSpec;
import dev.tether.operator.EventRecorder;
import dev.tether.operator.Health;
import dev.tether.operator.power.BmcReading.ActionOutcome;
import dev.tether.units.GoDuration;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What the operator does about a node's power, decided from the spec, what status recorded and the last reading of the
 * BMC; a pure function, so every rule is tested without a cluster or a BMC.
 *
 * <ul>
 *   <li>A reboot is asked for by a new {@code spec.power.rebootRequest} token, or by the profile's rolling reboot
 *       (the {@value NodeCredential#ROLLOUT_REBOOT_ANNOTATION} annotation). Once done, the token goes into status and
 *       is never done again; a token that arrives while the node is to be off is recorded as moot.</li>
 *   <li>{@code spec.power.state} is a level: the node is powered on or off when a reading says otherwise, but not again
 *       until a reading taken {@link PowerSettings#settleTime} after the last change says so still (BMCs report a
 *       change late).</li>
 *   <li>A failed action is tried again after {@link PowerSettings#pollInterval}, which is also how often the power is
 *       read: no hot loop on a BMC that is down.</li>
 * </ul>
 */
public final class PowerPlan {
    static final String STATE_CAUSE = "state";
    static final String REBOOT_CAUSE = "rebootRequest:";
    static final String ROLLOUT_CAUSE = "rollout:";

    private PowerPlan() {}

    /** What to ask the BMC for now. */
    public sealed interface Request {}

    public record Probe() implements Request {}

    public record Act(PowerAction action, String cause) implements Request {}

    public record Wait() implements Request {}

    public record Event(EventRecorder.Type type, String reason, String note) {}

    /**
     * @param power status.power to write
     * @param bmcReachable the BmcReachable condition to write
     * @param health what the power part says of the credential's health; empty when it has nothing to add
     * @param recheck when to look again at the latest
     */
    public record Outcome(NodeCredentialStatus.Power power, Condition bmcReachable, Optional<Health> health, Request request,
                          Duration recheck, List<Event> events) {}

    public static Outcome plan(NodeCredential credential, Optional<BmcReading> latest, boolean busy, Instant now,
                               PowerSettings settings) {
        var status = credential.getStatus();
        long generation = credential.getMetadata().getGeneration();
        var power = copy(status == null ? null : status.power);
        var events = new ArrayList<Event>();
        BmcReading reading = latest.orElse(null);

        if (reading != null && reading.lastAction() != null && !recorded(power.lastAction, reading.lastAction())) {
            record(power, reading.lastAction(), events);
        }
        if (reading != null) {
            var state = reading.state() == null ? PowerState.UNKNOWN : reading.state();
            // Only a change is written, not every reading: a poll of every node must not be a write of every node.
            if (state != power.state) {
                power.state = state;
                power.changedAt = reading.at().toString();
            }
        } else if (power.state == null) {
            power.state = PowerState.UNKNOWN;
        }
        var previousReachable = status == null ? null : Condition.find(status.conditions, NodeCredentialStatus.BMC_REACHABLE);
        var reachable = reachable(reading, generation);
        if (!reachable.isTrue() && reading != null && (previousReachable == null || !Objects.equals(previousReachable.reason, reachable.reason))) {
            events.add(new Event(EventRecorder.Type.Warning, reachable.reason, reachable.message));
        }

        PowerSpec spec = credential.getSpec().power;
        PowerSpec.State desired = spec == null ? null : spec.state;
        String rebootToken = spec == null ? null : spec.rebootRequest;
        String rolloutToken = annotation(credential);
        if (desired == PowerSpec.State.OFF) {
            if (rebootToken != null && !rebootToken.equals(power.rebootRequest)) {
                power.rebootRequest = rebootToken;
                events.add(new Event(EventRecorder.Type.Normal, "RebootSkipped",
                        "Reboot request " + rebootToken + " not carried out: spec.power.state is off."));
            }
            if (rolloutToken != null && !rolloutToken.equals(power.rolloutReboot)) {
                power.rolloutReboot = rolloutToken;
            }
        }
        boolean known = reading != null && reading.state() != null;
        ActionOutcome last = reading == null ? null : reading.lastAction();
        Act wanted = null;
        Instant shutdownDeadline = null;
        if (desired == PowerSpec.State.OFF && known && reading.state() == PowerState.ON) {
            Duration grace = shutdownTimeout(spec);
            if (grace == null) {
                wanted = new Act(PowerAction.OFF, STATE_CAUSE);
            } else if (!shutdownAsked(last, power)) {
                wanted = new Act(PowerAction.SOFT_OFF, STATE_CAUSE);
            } else if (!last.succeeded() || !now.isBefore(last.at().plus(grace))) {
                // The BMC refused the request, or the node did not act on it in time: cut the power.
                wanted = new Act(PowerAction.OFF, STATE_CAUSE);
            } else {
                shutdownDeadline = last.at().plus(grace);
            }
        } else if (rebootToken != null && !rebootToken.equals(power.rebootRequest)) {
            wanted = new Act(PowerAction.REBOOT, REBOOT_CAUSE + rebootToken);
        } else if (rolloutToken != null && !rolloutToken.equals(power.rolloutReboot)) {
            wanted = new Act(PowerAction.REBOOT, ROLLOUT_CAUSE + rolloutToken);
        } else if (desired == PowerSpec.State.ON && known && reading.state() == PowerState.OFF) {
            wanted = new Act(PowerAction.ON, STATE_CAUSE);
        }

        Request request;
        Instant next = reading == null ? now : reading.at().plus(settings.pollInterval());
        if (busy) {
            request = new Wait();
        } else if (wanted != null && last != null && sameAs(last, wanted) && !last.succeeded()
                && now.isBefore(last.at().plus(settings.pollInterval()))) {
            request = new Wait();
            next = last.at().plus(settings.pollInterval());
        } else if (wanted != null && last != null && sameAs(last, wanted) && last.succeeded() && STATE_CAUSE.equals(wanted.cause())
                && reading.at().isBefore(last.at().plus(settings.settleTime()))) {
            // The reading after the change may still show the old state: read again once the BMC had time to settle.
            Instant settled = last.at().plus(settings.settleTime());
            request = now.isBefore(settled) ? new Wait() : new Probe();
            next = settled;
        } else if (wanted != null) {
            request = wanted;
        } else if (shutdownDeadline != null) {
            // The node was asked to shut down: read its power as usual, and look again when its time is up.
            request = now.isBefore(reading.at().plus(settings.pollInterval())) ? new Wait() : new Probe();
            next = next.isBefore(shutdownDeadline) ? next : shutdownDeadline;
        } else if (reading == null || !now.isBefore(reading.at().plus(settings.pollInterval()))) {
            request = new Probe();
        } else {
            request = new Wait();
        }
        Duration recheck = Duration.between(now, next);
        if (recheck.compareTo(Duration.ofSeconds(1)) < 0 || busy) {
            recheck = busy ? settings.pollInterval() : Duration.ofSeconds(1);
        }
        if (recheck.compareTo(settings.pollInterval()) > 0) {
            recheck = settings.pollInterval();
        }
        Optional<Health> health = shutdownDeadline != null && !busy
                ? Optional.of(new Health.InProgress("ShuttingDown", "The node was asked to shut down at " + last.at()
                        + "; its power is cut at " + shutdownDeadline + " if it is still on (spec.power.shutdownTimeout)."))
                : health(reading, wanted, desired, known, busy);
        return new Outcome(power, reachable, health, request, recheck, events);
    }

    /** spec.power.shutdownTimeout, or null when the power is cut at once (absent, empty or zero). */
    private static Duration shutdownTimeout(PowerSpec spec) {
        if (spec.shutdownTimeout == null || spec.shutdownTimeout.isEmpty()) {
            return null;
        }
        Duration timeout = GoDuration.parse(spec.shutdownTimeout);
        return timeout.isZero() ? null : timeout;
    }

    /**
     * Whether the node was asked to shut down for the power-off under way: the last action was that request, and the
     * power was not seen to change since (a node turned off and on again since is asked anew).
     */
    private static boolean shutdownAsked(ActionOutcome last, NodeCredentialStatus.Power power) {
        if (last == null || last.action() != PowerAction.SOFT_OFF || !STATE_CAUSE.equals(last.cause())) {
            return false;
        }
        return power.changedAt == null || !Instant.parse(power.changedAt).isAfter(last.at());
    }

    private static Optional<Health> health(BmcReading reading, Act wanted, PowerSpec.State desired, boolean known, boolean busy) {
        var problem = reading == null ? null : reading.problem();
        if (problem != null && problem.needsAdmin()) {
            return Optional.of(new Health.Stalled(problem.reason(), problem.message()));
        }
        if (wanted != null) {
            String what = wanted.action().word() + (wanted.cause().equals(STATE_CAUSE) ? " (spec.power.state)" : " (" + wanted.cause() + ")");
            return Optional.of(new Health.InProgress("PowerActionPending", problem == null
                    ? "Asking the BMC to " + what + "."
                    : "Waiting for the BMC to " + what + ": " + problem.message()));
        }
        if (desired != null && !known) {
            return Optional.of(new Health.InProgress("PowerStateUnknown", problem == null
                    ? "Reading the power state from the BMC."
                    : "Cannot confirm the node is " + desired.name().toLowerCase(Locale.ROOT) + ": " + problem.message()));
        }
        return Optional.empty();
    }

    private static Condition reachable(BmcReading reading, long generation) {
        if (reading == null) {
            var unknown = new Condition(NodeCredentialStatus.BMC_REACHABLE, false, "Probing", "The operator is reading the BMC.", generation);
            unknown.status = Condition.UNKNOWN;
            return unknown;
        }
        if (reading.problem() == null) {
            return new Condition(NodeCredentialStatus.BMC_REACHABLE, true, "Reachable", "The BMC reports the node's power.", generation);
        }
        return new Condition(NodeCredentialStatus.BMC_REACHABLE, false, reading.problem().reason(), reading.problem().message(), generation);
    }

    private static void record(NodeCredentialStatus.Power power, ActionOutcome outcome, List<Event> events) {
        var record = new PowerActionRecord();
        record.action = outcome.action().word();
        record.cause = outcome.cause();
        record.completedAt = outcome.at().toString();
        record.outcome = outcome.succeeded() ? "Succeeded" : "Failed";
        record.message = outcome.message();
        power.lastAction = record;
        if (outcome.succeeded() && outcome.cause().startsWith(REBOOT_CAUSE)) {
            power.rebootRequest = outcome.cause().substring(REBOOT_CAUSE.length());
        }
        if (outcome.succeeded() && outcome.cause().startsWith(ROLLOUT_CAUSE)) {
            power.rolloutReboot = outcome.cause().substring(ROLLOUT_CAUSE.length());
        }
        String reason = switch (outcome.action()) {
            case ON -> "PoweredOn";
            case OFF -> "PoweredOff";
            case REBOOT -> "Rebooted";
            case SOFT_OFF -> "ShutdownRequested";
        };
        events.add(outcome.succeeded()
                ? new Event(EventRecorder.Type.Normal, reason, outcome.message() + " Cause: " + outcome.cause() + ".")
                : new Event(EventRecorder.Type.Warning, "PowerActionFailed", "Could not " + outcome.action().word() + " the node ("
                        + outcome.cause() + "): " + outcome.message()));
    }

    private static boolean recorded(PowerActionRecord record, ActionOutcome outcome) {
        return record != null && Objects.equals(record.completedAt, outcome.at().toString())
                && Objects.equals(record.cause, outcome.cause()) && Objects.equals(record.action, outcome.action().word());
    }

    private static boolean sameAs(ActionOutcome outcome, Act act) {
        return outcome.action() == act.action() && outcome.cause().equals(act.cause());
    }

    private static String annotation(NodeCredential credential) {
        var annotations = credential.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(NodeCredential.ROLLOUT_REBOOT_ANNOTATION);
    }

    private static NodeCredentialStatus.Power copy(NodeCredentialStatus.Power from) {
        var power = new NodeCredentialStatus.Power();
        if (from != null) {
            power.state = from.state;
            power.changedAt = from.changedAt;
            power.rebootRequest = from.rebootRequest;
            power.rolloutReboot = from.rolloutReboot;
            power.lastAction = from.lastAction;
        }
        return power;
    }
}
