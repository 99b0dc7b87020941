package dev.tether.operator.credential;

import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.operator.EventRecorder;
import dev.tether.operator.Health;
import dev.tether.operator.StatusWrites;
import dev.tether.operator.power.PowerControl;
import dev.tether.operator.power.PowerPlan;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Keeps a NodeCredential's status true: whether it is armed, whether a key was issued, whether
 * the profile it names exists, and the node's power as its BMC reports it. Keys are issued by the node API through
 * {@link ApiKeyStore}; power is read and changed through {@link PowerControl}, off the reconcile threads, by the rules
 * of {@link PowerPlan}.
 */
@ControllerConfiguration(name = "nodecredential", generationAwareEventProcessing = false)
public class NodeCredentialReconciler implements Reconciler<NodeCredential> {
    private static final String PROFILE_INDEX = "tether.dev/namespace-profile";
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
     * a BMC reading brings it here to be written into status; its profile's creation or removal brings it here too.
     */
    @Override
    public List<EventSource<?, NodeCredential>> prepareEventSources(EventSourceContext<NodeCredential> context) {
        return List.of(byNodeName.attach(context), power.eventSource(), profiles(context));
    }

    /**
     * The profiles the credentials name, so that a credential knows from the informer whether its profile exists
     * (not a GET at every reconciliation, which every node API status write causes) and turns Ready when the profile
     * it waited for is created. Only a profile's arrival and removal wake its credentials: a profile's status changes
     * at every boot, and waking all its credentials then would multiply a boot storm's work by the cluster's size.
     */
    private static InformerEventSource<NodeProfile, NodeCredential> profiles(EventSourceContext<NodeCredential> context) {
        var credentials = context.getPrimaryCache();
        credentials.addIndexer(PROFILE_INDEX, c -> c.getSpec() == null || c.getSpec().profile == null ? List.of()
                : List.of(c.getMetadata().getNamespace() + "/" + c.getSpec().profile));
        var profiles = InformerEventSourceConfiguration.from(NodeProfile.class, NodeCredential.class)
                .withSecondaryToPrimaryMapper(profile -> credentials.byIndex(PROFILE_INDEX,
                                profile.getMetadata().getNamespace() + "/" + profile.getMetadata().getName()).stream()
                        .map(ResourceID::fromResource).collect(Collectors.toSet()))
                .withPrimaryToSecondaryMapper((NodeCredential c) -> c.getSpec() == null || c.getSpec().profile == null ? Set.of()
                        : Set.of(new ResourceID(c.getSpec().profile, c.getMetadata().getNamespace())))
                .withOnUpdateFilter((newer, older) -> false)
                .build();
        return new InformerEventSource<>(profiles, context);
    }

    @Override
    public UpdateControl<NodeCredential> reconcile(NodeCredential credential, Context<NodeCredential> context) {
        boolean profileExists = context.getSecondaryResource(NodeProfile.class).isPresent();
        var plan = plan(credential, profileExists, context.getClient().getKubernetesSerialization());
        // This controller also sees annotation changes (re-arming), so it must not answer its own status writes with
        // another write. The node API writes this status too (key issue, host certificates, boot reports): the
        // reconciler patches only its own part, computed again on the newer credential if the node API wrote in between.
        if (plan.changesStatus()) {
            StatusWrites.patch(credential, context, latest -> {
                computeStatus(latest, profileExists, plan.now());
                return latest;
            });
        }
        plan.power().ifPresent(power -> carryOut(plan.desired(), power, context));
        var control = UpdateControl.<NodeCredential>noUpdate();
        return plan.lookAgain().map(control::rescheduleAfter).orElse(control);
    }

    /**
     * What a reconciliation decides, before it acts.
     *
     * @param desired the credential with the reconciler's part of its status computed
     * @param changesStatus whether that differs from the status read
     * @param lookAgain when to reconcile again though nothing changes: an arming window closing, a BMC to read
     */
    record Plan(NodeCredential desired, boolean changesStatus, Optional<PowerPlan.Outcome> power, Optional<Duration> lookAgain, Instant now) {}

    Plan plan(NodeCredential read, boolean profileExists, KubernetesSerialization json) {
        Instant now = clock.instant();
        NodeCredential desired = json.clone(read);
        var powerPlan = computeStatus(desired, profileExists, now);
        boolean changes = !json.asJson(read.getStatus()).equals(json.asJson(desired.getStatus()));
        // An open arming window closes by itself: look again when it ends, so status.armed says so.
        Optional<Duration> untilDeadline = ArmingState.deadline(desired).filter(now::isBefore)
                .map(deadline -> Duration.between(now, deadline).plusSeconds(1));
        // The BMC is read again every poll interval, and sooner while a power change settles.
        Optional<Duration> recheck = powerPlan.map(PowerPlan.Outcome::recheck);
        var lookAgain = Stream.of(untilDeadline, recheck).flatMap(Optional::stream).min(Duration::compareTo);
        return new Plan(desired, changes, powerPlan, lookAgain, now);
    }

    /** The reconciler's part of {@code credential}'s status (arming, health, power), computed in place; the power plan. */
    private Optional<PowerPlan.Outcome> computeStatus(NodeCredential credential, boolean profileExists, Instant now) {
        var status = credential.getStatus() == null ? new NodeCredentialStatus() : credential.getStatus();
        credential.setStatus(status);
        long generation = credential.getMetadata().getGeneration();
        ArmingState.refresh(credential, status, now);
        String ns = credential.getMetadata().getNamespace();
        String profile = credential.getSpec().profile;
        var powerPlan = planPower(credential, status, now);
        Health health = profileExists
                ? powerPlan.flatMap(PowerPlan.Outcome::health).orElse(new Health.Current("ProfileFound", "Boots with NodeProfile " + profile + "."))
                : new Health.Stalled("ProfileNotFound", "NodeProfile " + profile + " does not exist in namespace " + ns + "; create it or fix spec.profile.");
        status.conditions = Health.apply(status.conditions, health, generation);
        // Until a key is issued (the node API sets it True), its reason follows the arming: re-armed, disarmed or its
        // window closed, the condition says what the node can do now, not what it could when the credential was made.
        Condition keyIssued = Condition.find(status.conditions, NodeCredentialStatus.KEY_ISSUED);
        if (keyIssued == null || Condition.FALSE.equals(keyIssued.status)) {
            status.conditions = Condition.upsert(status.conditions, new Condition(NodeCredentialStatus.KEY_ISSUED, false,
                    status.armed ? "AwaitingFirstBoot" : "NotArmed",
                    status.armed ? "The node may fetch its key over the network at its next boot."
                            : "No key was issued and the credential is not armed: arm it so the node can fetch one.",
                    generation));
        }
        status.observedGeneration = generation;
        return powerPlan;
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
        return StatusWrites.patchAfterError(credential, context, read -> {
            var status = read.getStatus() == null ? new NodeCredentialStatus() : read.getStatus();
            read.setStatus(status);
            status.conditions = Health.apply(status.conditions, new Health.InProgress(
                    "ReconcileError", "The operator could not act on this credential (will retry): " + e.getMessage()),
                    read.getMetadata().getGeneration());
            return read;
        });
    }
}
