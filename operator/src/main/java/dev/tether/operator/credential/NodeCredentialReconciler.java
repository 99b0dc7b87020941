package dev.tether.operator.credential;

import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.operator.EventRecorder;
import dev.tether.operator.Health;
import dev.tether.operator.power.PowerControl;
import dev.tether.operator.power.PowerPlan;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Keeps a NodeCredential's status true: whether it is armed, whether a key was issued, whether
 * the profile it names exists, and the node's power as its BMC reports it. Keys are issued by the node API through
 * {@link ApiKeyStore}; power is read and changed through {@link PowerControl}, off the reconcile threads, by the rules
 * of {@link PowerPlan}.
 */
@ControllerConfiguration(name = "nodecredential", generationAwareEventProcessing = false)
public class NodeCredentialReconciler implements Reconciler<NodeCredential> {
    private final CredentialsByNodeName byNodeName;
    private final PowerControl power;
    private final Clock clock;

    /**
     * @param byNodeName the node API's view of this controller's cache, indexed by node name
     * @param power the workers that talk to BMCs
     */
    public NodeCredentialReconciler(CredentialsByNodeName byNodeName, PowerControl power) {
        this(byNodeName, power, Clock.systemUTC());
    }

    /** @param clock what arming windows and power retries are judged by */
    public NodeCredentialReconciler(CredentialsByNodeName byNodeName, PowerControl power, Clock clock) {
        this.byNodeName = byNodeName;
        this.power = power;
        this.clock = clock;
    }

    /**
     * The node API's lookups come from these caches; a changed API-key Secret also brings the credential here (a no-op);
     * a BMC reading brings it here to be written into status.
     */
    @Override
    public List<EventSource<?, NodeCredential>> prepareEventSources(EventSourceContext<NodeCredential> context) {
        return List.of(byNodeName.attach(context), power.eventSource());
    }

    @Override
    public UpdateControl<NodeCredential> reconcile(NodeCredential credential, Context<NodeCredential> context) {
        var status = credential.getStatus() == null ? new NodeCredentialStatus() : credential.getStatus();
        credential.setStatus(status);
        // This controller also sees annotation changes (re-arming), so it must not answer its own
        // status patches with another patch.
        String before = context.getClient().getKubernetesSerialization().asJson(status);
        long generation = credential.getMetadata().getGeneration();
        Instant now = clock.instant();
        ArmingState.refresh(credential, status, now);

        String ns = credential.getMetadata().getNamespace();
        String profile = credential.getSpec().profile;
        boolean profileExists = context.getClient().resources(NodeProfile.class).inNamespace(ns).withName(profile).get() != null;
        var powerPlan = planPower(credential, status, now);
        Health health = profileExists
                ? powerPlan.flatMap(PowerPlan.Outcome::health).orElse(new Health.Current("ProfileFound", "Boots with NodeProfile " + profile + "."))
                : new Health.Stalled("ProfileNotFound", "NodeProfile " + profile + " does not exist in namespace " + ns + "; create it or fix spec.profile.");
        status.conditions = Health.apply(status.conditions, health, generation);
        if (Condition.find(status.conditions, NodeCredentialStatus.KEY_ISSUED) == null) {
            status.conditions = Condition.upsert(status.conditions, new Condition(NodeCredentialStatus.KEY_ISSUED, false,
                    status.armed ? "AwaitingFirstBoot" : "NotArmed",
                    status.armed ? "The node may fetch its key over the network at its next boot."
                            : "No key was issued and the credential is not armed: arm it so the node can fetch one.",
                    generation));
        }
        status.observedGeneration = generation;
        boolean changed = !before.equals(context.getClient().getKubernetesSerialization().asJson(status));
        UpdateControl<NodeCredential> control = changed ? UpdateControl.patchStatus(credential) : UpdateControl.noUpdate();
        powerPlan.ifPresent(plan -> carryOut(credential, plan, context));
        // An open arming window closes by itself: look again when it ends, so status.armed says so.
        Optional<Duration> untilDeadline = ArmingState.deadline(credential).filter(now::isBefore)
                .map(deadline -> Duration.between(now, deadline).plusSeconds(1));
        // The BMC is read again every poll interval, and sooner while a power change settles.
        Optional<Duration> recheck = powerPlan.map(PowerPlan.Outcome::recheck);
        return Stream.of(untilDeadline, recheck).flatMap(Optional::stream).min(Duration::compareTo)
                .map(control::rescheduleAfter).orElse(control);
    }

    /** Power status and conditions from the BMC's last reading; empty (and power left out of status) without spec.bmc. */
    private Optional<PowerPlan.Outcome> planPower(NodeCredential credential, NodeCredentialStatus status, Instant now) {
        if (credential.getSpec().bmc == null) {
            status.power = null;
            status.conditions = new ArrayList<>(status.conditions.stream().filter(c -> !NodeCredentialStatus.BMC_REACHABLE.equals(c.type)).toList());
            return Optional.empty();
        }
        var plan = PowerPlan.plan(credential, power.latest(credential), power.busy(credential), now, power.settings());
        status.power = plan.power();
        status.conditions = Condition.upsert(status.conditions, plan.bmcReachable());
        return Optional.of(plan);
    }

    /** Records the plan's events and asks the BMC workers for what the plan says (they answer through the event source). */
    private void carryOut(NodeCredential credential, PowerPlan.Outcome plan, Context<NodeCredential> context) {
        var events = new EventRecorder(context.getClient());
        plan.events().forEach(e -> events.record(credential, e.type(), e.reason(), e.note()));
        switch (plan.request()) {
            case PowerPlan.Probe probe -> power.probe(credential);
            case PowerPlan.Act act -> power.act(credential, act.action(), act.cause());
            case PowerPlan.Wait wait -> { }
        }
    }

    @Override
    public ErrorStatusUpdateControl<NodeCredential> updateErrorStatus(NodeCredential credential, Context<NodeCredential> context, Exception e) {
        var status = credential.getStatus() == null ? new NodeCredentialStatus() : credential.getStatus();
        credential.setStatus(status);
        status.conditions = Health.apply(status.conditions, new Health.InProgress(
                "ReconcileError", "The operator could not act on this credential (will retry): " + e.getMessage()),
                credential.getMetadata().getGeneration());
        return ErrorStatusUpdateControl.patchStatus(credential);
    }
}
