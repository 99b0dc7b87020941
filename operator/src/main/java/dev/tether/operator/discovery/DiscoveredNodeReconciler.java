package dev.tether.operator.discovery;

import dev.tether.api.v1alpha1.DiscoveredNode;
import dev.tether.api.v1alpha1.DiscoveredNodeStatus;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.operator.Health;
import dev.tether.operator.Names;
import dev.tether.operator.StatusWrites;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.util.ArrayList;
import java.util.Map;

/**
 * Enrols an accepted DiscoveredNode: creates the NodeCredential it asked to become, in its profile, bound to the TPM
 * it reported (armed once: its first key goes only to that TPM), and says so in its status. The credential is not
 * owned by the DiscoveredNode, so deleting the record of the registration later leaves the node enrolled.
 *
 * <p>Nothing is enrolled while registrations under the machine's MAC conflict (someone else reported other hardware
 * under it), while the node name it would get is taken by another credential, or while its profile is gone.
 */
// Registrations are noted in annotations, which do not change the generation: every change is looked at.
@ControllerConfiguration(name = "discoverednode", generationAwareEventProcessing = false)
public class DiscoveredNodeReconciler implements Reconciler<DiscoveredNode> {
    /** The label on an enrolled NodeCredential naming the DiscoveredNode it came from. */
    public static final String DISCOVERED_FROM = "tether.dev/discovered-from";

    @Override
    public UpdateControl<DiscoveredNode> reconcile(DiscoveredNode node, Context<DiscoveredNode> context) {
        String before = StatusWrites.before(node, context);
        var status = node.getStatus() == null ? new DiscoveredNodeStatus() : node.getStatus();
        node.setStatus(status);
        // What the node API noted about later registrations, shown here so that status has one writer.
        status.lastSeenAt = Registrations.annotation(node, Registrations.LAST_SEEN);
        status.conflictingRegistrations = Registrations.conflicts(node);
        status.conditions = Health.apply(status.conditions, decide(node, status, context), node.getMetadata().getGeneration());
        status.observedGeneration = node.getMetadata().getGeneration();
        // Its own status writes come back here too: write only what changed, or they would never end.
        StatusWrites.replaceIfChanged(node, before, context);
        return UpdateControl.noUpdate();
    }

    private Health decide(DiscoveredNode node, DiscoveredNodeStatus status, Context<DiscoveredNode> context) {
        if (status.enrolledAs != null) {
            return new Health.Current("Enrolled", "Enrolled as NodeCredential " + status.enrolledAs + "; this record may be deleted.");
        }
        var hardware = node.getSpec().hardware;
        int conflicts = status.conflictingRegistrations;
        if (conflicts > 0) {
            return new Health.Stalled("ConflictingRegistrations", conflicts + " registration(s) under MAC " + hardware.macs.getFirst()
                    + " reported other hardware than the first: someone may be registering in this machine's name. Check the"
                    + " machine, delete this DiscoveredNode and let it register again.");
        }
        if (!Boolean.TRUE.equals(node.getSpec().accept)) {
            return new Health.InProgress("AwaitingAcceptance", "Waiting for an administrator to set spec.accept to true"
                    + (hardware.endorsementKey == null ? " (the machine reported no TPM: its key would be fetched over the"
                            + " network at every boot)." : "."));
        }
        String namespace = node.getMetadata().getNamespace();
        var client = context.getClient();
        NodeProfile profile = client.resources(NodeProfile.class).inNamespace(namespace).withName(node.getSpec().profile).get();
        if (profile == null) {
            return new Health.Stalled("ProfileNotFound", "NodeProfile " + node.getSpec().profile + " does not exist in namespace "
                    + namespace + "; the machine cannot be enrolled into it.");
        }
        String nodeName = nodeName(node, profile);
        // A credential an administrator wrote meanwhile for one of its MACs wins: two would claim the same machine.
        var claimed = client.resources(NodeCredential.class).inNamespace(namespace).list().getItems().stream()
                .filter(other -> !node.getMetadata().getName().equals(labels(other).get(DISCOVERED_FROM)))
                .filter(other -> other.getSpec() != null && other.getSpec().hardware != null
                        && other.getSpec().hardware.macs.stream().anyMatch(hardware.macs::contains))
                .map(other -> other.getMetadata().getName())
                .findFirst();
        if (claimed.isPresent()) {
            return new Health.Stalled("AlreadyEnrolled", "NodeCredential " + claimed.get() + " lists one of this machine's MACs;"
                    + " the machine boots as that node. Delete this DiscoveredNode, or that credential to enrol it anew.");
        }
        NodeCredential credential = credential(node, nodeName);
        try {
            client.resource(credential).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            NodeCredential existing = client.resources(NodeCredential.class).inNamespace(namespace).withName(nodeName).get();
            if (existing == null || !node.getMetadata().getName().equals(labels(existing).get(DISCOVERED_FROM))) {
                return new Health.Stalled("NameTaken", "A NodeCredential named " + nodeName + " exists already; set spec.nodeName to"
                        + " another name.");
            }
            // Ours, from an enrolment whose status write was lost.
        }
        status.enrolledAs = nodeName;
        return new Health.Current("Enrolled", "Enrolled as NodeCredential " + nodeName + "; the machine boots as it at its next"
                + " registration attempt. This record may be deleted.");
    }

    private static Map<String, String> labels(NodeCredential credential) {
        var labels = credential.getMetadata().getLabels();
        return labels == null ? Map.of() : labels;
    }

    /** The NodeCredential an accepted machine becomes: its reported hardware, and its TPM's EK as the only one keys go to. */
    static NodeCredential credential(DiscoveredNode node, String nodeName) {
        var hardware = node.getSpec().hardware;
        var credential = new NodeCredential();
        credential.setMetadata(new ObjectMetaBuilder().withName(nodeName).withNamespace(node.getMetadata().getNamespace())
                .withLabels(Map.of(DISCOVERED_FROM, node.getMetadata().getName(), Names.PROFILE_LABEL, node.getSpec().profile))
                .build());
        var spec = new NodeCredentialSpec();
        spec.nodeName = nodeName;
        spec.profile = node.getSpec().profile;
        spec.hardware = new NodeCredentialSpec.Hardware();
        spec.hardware.macs = new ArrayList<>(hardware.macs);
        spec.hardware.smbiosUuid = hardware.smbiosUuid;
        if (hardware.endorsementKey != null) {
            spec.endorsementKey = hardware.endorsementKey;
            spec.tpm = NodeCredentialSpec.Tpm.EXPECTED;
            spec.arming = NodeCredentialSpec.Arming.ONCE;
        } else {
            // No TPM to seal a key in: the node can only fetch it at every boot (what an administrator accepted).
            spec.tpm = NodeCredentialSpec.Tpm.ABSENT;
            spec.arming = NodeCredentialSpec.Arming.CONTINUOUS;
        }
        credential.setSpec(spec);
        return credential;
    }

    /** spec.nodeName, or the profile's prefix and the boot MAC's hex digits. */
    static String nodeName(DiscoveredNode node, NodeProfile profile) {
        if (node.getSpec().nodeName != null) {
            return node.getSpec().nodeName;
        }
        String prefix = profile.getSpec().discovery == null || profile.getSpec().discovery.namePrefix == null ? "node-"
                : profile.getSpec().discovery.namePrefix;
        return prefix + node.getSpec().hardware.macs.getFirst().replace(":", "");
    }

    @Override
    public ErrorStatusUpdateControl<DiscoveredNode> updateErrorStatus(DiscoveredNode node, Context<DiscoveredNode> context, Exception e) {
        return StatusWrites.patchAfterError(node, context, read -> {
            var status = read.getStatus() == null ? new DiscoveredNodeStatus() : read.getStatus();
            read.setStatus(status);
            status.conditions = Health.apply(status.conditions, new Health.InProgress("ReconcileError",
                    "The operator could not enrol this machine (will retry): " + e.getMessage()), read.getMetadata().getGeneration());
            return read;
        });
    }
}
