package dev.tether.operator.profile;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialStatus.PowerState;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.Rollout;
import dev.tether.api.v1alpha1.RolloutStatus;
import dev.tether.api.v1alpha1.RolloutStatus.RebootingNode;
import dev.tether.units.GoDuration;
import dev.tether.operator.Health;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A profile's rolling reboot onto the digest it serves ({@code spec.rollout}). The nodes it reboots are those with a
 * BMC that are powered on and last booted another version (a node that is off boots the new version when powered on).
 * It asks for a node's reboot by setting the {@value NodeCredential#ROLLOUT_REBOOT_ANNOTATION} annotation to the
 * digest, which the NodeCredential controller carries out once through the BMC; a node counts as down from then until
 * it reports booting the digest (the agent's boot report). At most {@code maxUnavailable} are down at once; one that
 * has not reported within {@code bootTimeout} stops the rollout until someone looks (the profile is Stalled).
 */
public final class ProfileRollout {
    /**
     * @param status the profile's status.rollout to write (null: no rollout)
     * @param reboot credentials to ask for a reboot now
     * @param health what the rollout says of the profile's health; empty when it is done or absent
     * @param recheck when to look again (the earliest boot timeout); empty when nothing waits on time
     */
    public record Step(RolloutStatus status, List<String> reboot, Optional<Health> health, Optional<Duration> recheck) {}

    private final Clock clock;

    public ProfileRollout(Clock clock) {
        this.clock = clock;
    }

    /** Plans the next step and asks for the reboots it picks. */
    public Step advance(NodeProfile profile, String digest, List<NodeCredential> credentials, KubernetesClient client) {
        var step = plan(profile, digest, credentials, clock.instant());
        for (String name : step.reboot()) {
            client.resources(NodeCredential.class).inNamespace(profile.getMetadata().getNamespace()).withName(name).edit(c -> {
                var annotations = c.getMetadata().getAnnotations() == null ? new HashMap<String, String>() : new HashMap<>(c.getMetadata().getAnnotations());
                annotations.put(NodeCredential.ROLLOUT_REBOOT_ANNOTATION, digest);
                c.getMetadata().setAnnotations(annotations);
                return c;
            });
        }
        return step;
    }

    static Step plan(NodeProfile profile, String digest, List<NodeCredential> credentials, Instant now) {
        Rollout rollout = profile.getSpec().rollout;
        if (rollout == null || digest == null) {
            return new Step(null, List.of(), Optional.empty(), Optional.empty());
        }
        var previous = profile.getStatus() == null ? null : profile.getStatus().rollout;
        Map<String, String> requestedAt = new HashMap<>();
        if (previous != null && digest.equals(previous.digest)) {
            previous.rebooting.forEach(r -> requestedAt.put(r.name, r.requestedAt));
        }
        Duration timeout = GoDuration.parse(Objects.requireNonNullElse(rollout.bootTimeout, "15m"));
        var managed = credentials.stream().filter(c -> c.getSpec().bmc != null)
                .sorted(Comparator.comparing(c -> c.getMetadata().getName())).toList();
        var status = new RolloutStatus();
        status.digest = digest;
        var waiting = new ArrayList<String>();
        for (NodeCredential c : managed) {
            String name = c.getMetadata().getName();
            var lastBoot = c.getStatus() == null ? null : c.getStatus().lastBoot;
            if (lastBoot != null && digest.equals(lastBoot.digest)) {
                continue;
            }
            var annotations = c.getMetadata().getAnnotations();
            if (annotations != null && digest.equals(annotations.get(NodeCredential.ROLLOUT_REBOOT_ANNOTATION))) {
                String since = requestedAt.getOrDefault(name, now.toString());
                if (!now.isBefore(Instant.parse(since).plus(timeout))) {
                    status.failed.add(name);
                } else {
                    status.rebooting.add(new RebootingNode(name, since));
                }
                continue;
            }
            var power = c.getStatus() == null ? null : c.getStatus().power;
            if (lastBoot != null && power != null && power.state == PowerState.ON) {
                waiting.add(name);
            }
        }
        var reboot = new ArrayList<String>();
        if (status.failed.isEmpty()) {
            int room = maxUnavailable(rollout.maxUnavailable, managed.size()) - status.rebooting.size();
            for (String name : waiting.subList(0, Math.max(0, Math.min(room, waiting.size())))) {
                reboot.add(name);
                status.rebooting.add(new RebootingNode(name, now.toString()));
            }
        }
        status.waiting = waiting.size() - reboot.size();
        Optional<Duration> recheck = status.rebooting.stream().map(r -> Instant.parse(r.requestedAt).plus(timeout))
                .min(Comparator.naturalOrder()).map(deadline -> Duration.between(now, deadline).plusSeconds(1));
        return new Step(status, reboot, health(status, timeout), recheck);
    }

    private static Optional<Health> health(RolloutStatus status, Duration timeout) {
        if (!status.failed.isEmpty()) {
            return Optional.of(new Health.Stalled("RolloutStopped", "Rolling reboot onto " + status.digest + " stopped: "
                    + String.join(", ", status.failed) + " did not report booting it within " + timeout.toMinutes() + " min of the"
                    + " reboot. Look at their consoles (docs/power.md); the rollout goes on once they report it, or remove spec.rollout."));
        }
        if (!status.rebooting.isEmpty() || status.waiting > 0) {
            return Optional.of(new Health.InProgress("RollingOut", "Rebooting onto " + status.digest + ": "
                    + String.join(", ", status.rebooting.stream().map(r -> r.name).toList()) + " now, " + status.waiting + " waiting."));
        }
        return Optional.empty();
    }

    /** A number, or a percentage of {@code nodes} rounded down; at least 1. */
    static int maxUnavailable(IntOrString value, int nodes) {
        if (value == null) {
            return 1;
        }
        if (value.getIntVal() != null) {
            return Math.max(1, value.getIntVal());
        }
        String text = value.getStrVal().strip();
        if (text.endsWith("%")) {
            int percent = Integer.parseInt(text.substring(0, text.length() - 1));
            return Math.max(1, nodes * percent / 100);
        }
        return Math.max(1, Integer.parseInt(text));
    }
}
