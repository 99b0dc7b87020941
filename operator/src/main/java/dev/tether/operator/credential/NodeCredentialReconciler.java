package dev.tether.operator.credential;

import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.operator.Health;
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
import java.util.List;
import java.util.Optional;

/**
 * Keeps a NodeCredential's status true: whether it is armed, whether a key was issued, and whether
 * the profile it names exists. Keys are issued by the node API through {@link ApiKeyStore}.
 */
@ControllerConfiguration(name = "nodecredential", generationAwareEventProcessing = false)
public class NodeCredentialReconciler implements Reconciler<NodeCredential> {
    private final CredentialsByNodeName byNodeName;
    private final Clock clock;

    /** @param byNodeName the node API's view of this controller's cache, indexed by node name */
    public NodeCredentialReconciler(CredentialsByNodeName byNodeName) {
        this(byNodeName, Clock.systemUTC());
    }

    /** @param clock what arming windows are judged by */
    public NodeCredentialReconciler(CredentialsByNodeName byNodeName, Clock clock) {
        this.byNodeName = byNodeName;
        this.clock = clock;
    }

    /** The node API's lookups come from these caches; a changed API-key Secret also brings the credential here (a no-op). */
    @Override
    public List<EventSource<?, NodeCredential>> prepareEventSources(EventSourceContext<NodeCredential> context) {
        return List.of(byNodeName.attach(context));
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
        status.conditions = Health.apply(status.conditions, profileExists
                ? new Health.Current("ProfileFound", "Boots with NodeProfile " + profile + ".")
                : new Health.Stalled("ProfileNotFound",
                        "NodeProfile " + profile + " does not exist in namespace " + ns + "; create it or fix spec.profile."), generation);
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
        // An open arming window closes by itself: look again when it ends, so status.armed says so.
        Optional<Instant> deadline = ArmingState.deadline(credential).filter(now::isBefore);
        return deadline.isPresent() ? control.rescheduleAfter(Duration.between(now, deadline.get()).plusSeconds(1)) : control;
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
