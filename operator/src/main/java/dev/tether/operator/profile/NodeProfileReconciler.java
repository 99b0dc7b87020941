package dev.tether.operator.profile;

import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileStatus;
import dev.tether.operator.EventRecorder;
import dev.tether.operator.Health;
import dev.tether.operator.Names;
import dev.tether.operator.OperatorConfig;
import dev.tether.operator.StatusWrites;
import dev.tether.operator.identity.ConfigMapTemplates;
import dev.tether.operator.identity.NodeFileConfigMaps;
import dev.tether.operator.identity.NodeIdentityCondition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.javaoperatorsdk.operator.api.config.informer.InformerConfiguration;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResourceConfigBuilder;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Workflow;
import io.javaoperatorsdk.operator.processing.dependent.workflow.WorkflowBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Makes a NodeProfile bootable: its edge DaemonSet and Service, and the boot files its edges serve
 * (boot config and addon archive). Status says which digest new boots get, which edges are ready,
 * and how many nodes run each digest; a missing or unpublished image, or a root password Secret the
 * operator may not read ({@link RootPasswordSecret}), makes the profile not Ready.
 */
@ControllerConfiguration(name = "nodeprofile")
public class NodeProfileReconciler implements Reconciler<NodeProfile> {
    private static final String IMAGE_INDEX = "image-name";
    private static final String PASSWORD_INDEX = "root-password-secret";

    private final Workflow<NodeProfile> workflow;
    private final ProfileRollout rollout = new ProfileRollout(Clock.systemUTC());

    /** @param caCertificatePem the cluster CA certificate that every profile's addon archive carries */
    public NodeProfileReconciler(OperatorConfig config, String caCertificatePem) {
        var daemonSet = labelled(new EdgeDaemonSet(config), EdgeDaemonSet.COMPONENT);
        var service = labelled(new EdgeService(), EdgeDaemonSet.COMPONENT);
        var bootFiles = labelled(new BootConfigMap(caCertificatePem), "boot-files");
        this.workflow = new WorkflowBuilder<NodeProfile>()
                .addDependentResource(bootFiles)
                .addDependentResource(daemonSet)
                .addDependentResource(service)
                .build();
    }

    @Override
    public List<EventSource<?, NodeProfile>> prepareEventSources(EventSourceContext<NodeProfile> context) {
        context.getPrimaryCache().addIndexer(IMAGE_INDEX, p -> p.getSpec() == null || p.getSpec().image == null
                ? List.of()
                : List.of(p.getMetadata().getNamespace() + "/" + p.getSpec().image.name));
        context.getPrimaryCache().addIndexer(PASSWORD_INDEX, p -> p.getSpec() == null || p.getSpec().rootPasswordHash == null
                ? List.of()
                : List.of(p.getMetadata().getNamespace() + "/" + p.getSpec().rootPasswordHash.name));
        // A published image, a new credential or an edge pod becoming ready all change what the
        // profile's edges must serve; a root password Secret gaining or losing its mark, whether it can boot.
        var images = InformerEventSourceConfiguration.from(DisklessImage.class, NodeProfile.class)
                .withSecondaryToPrimaryMapper(image -> context.getPrimaryCache()
                        .byIndex(IMAGE_INDEX, image.getMetadata().getNamespace() + "/" + image.getMetadata().getName())
                        .stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
                .withPrimaryToSecondaryMapper((NodeProfile p) -> Set.of(new ResourceID(p.getSpec().image.name, p.getMetadata().getNamespace())))
                .build();
        var credentials = InformerEventSourceConfiguration.from(NodeCredential.class, NodeProfile.class)
                .withSecondaryToPrimaryMapper(c -> c.getSpec() == null ? Set.of()
                        : Set.of(new ResourceID(c.getSpec().profile, c.getMetadata().getNamespace())))
                .withOnUpdateFilter(NodeProfileReconciler::changesWhatTheProfileReads)
                .build();
        var edgePods = InformerEventSourceConfiguration.from(Pod.class, NodeProfile.class)
                .withLabelSelector(Names.COMPONENT + "=" + EdgeDaemonSet.COMPONENT)
                .withSecondaryToPrimaryMapper(pod -> {
                    String profile = pod.getMetadata().getLabels() == null ? null : pod.getMetadata().getLabels().get(Names.PROFILE_LABEL);
                    return profile == null ? Set.of() : Set.of(new ResourceID(profile, pod.getMetadata().getNamespace()));
                })
                .build();
        var passwords = InformerEventSourceConfiguration.from(Secret.class, NodeProfile.class)
                .withLabelSelector(RootPasswordSecret.USE_LABEL + "=" + RootPasswordSecret.USE)
                .withSecondaryToPrimaryMapper(secret -> context.getPrimaryCache()
                        .byIndex(PASSWORD_INDEX, secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName())
                        .stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build();
        var sources = new ArrayList<EventSource<?, NodeProfile>>(EventSourceUtils.eventSourcesFromWorkflow(context, workflow));
        sources.add(new InformerEventSource<>(images, context));
        sources.add(new InformerEventSource<>(credentials, context));
        sources.add(new InformerEventSource<>(edgePods, context));
        sources.add(new InformerEventSource<>(passwords, context));
        sources.add(NodeFileConfigMaps.eventSource(context));
        return sources;
    }

    @Override
    public UpdateControl<NodeProfile> reconcile(NodeProfile profile, Context<NodeProfile> context) {
        String before = StatusWrites.before(profile, context);
        workflow.reconcile(profile, context);
        var inputs = ProfileInputs.of(profile, context);
        var status = profile.getStatus() == null ? new NodeProfileStatus() : profile.getStatus();
        profile.setStatus(status);
        long generation = profile.getMetadata().getGeneration();

        var daemonSet = context.getSecondaryResource(DaemonSet.class).orElse(null);
        var dsStatus = daemonSet == null ? null : daemonSet.getStatus();
        status.desiredEdges = dsStatus == null ? 0 : Objects.requireNonNullElse(dsStatus.getDesiredNumberScheduled(), 0);
        status.readyEdges = inputs.readyEdgePods().size();
        status.edgeUrls = inputs.edgeUrls();
        status.digest = inputs.image().ok() ? inputs.image().version().digest : null;
        status.shortDigest = Names.shortDigest(status.digest);
        status.nodesByDigest = nodesByDigest(inputs.credentials());
        status.nodesOnDigest = status.nodesByDigest.stream().filter(c -> Objects.equals(c.digest, status.digest))
                .mapToInt(c -> c.nodes).sum();

        var password = RootPasswordSecret.read(context.getClient(), profile.getMetadata().getNamespace(), profile.getSpec().rootPasswordHash);
        var previous = Condition.find(status.conditions, Condition.READY);
        if (password instanceof RootPasswordSecret.NotUsable refused
                && (previous == null || !RootPasswordSecret.NOT_USABLE.equals(previous.reason))) {
            new EventRecorder(context.getClient()).record(profile, EventRecorder.Type.Warning, RootPasswordSecret.NOT_USABLE,
                    refused.message() + " Until then its nodes are refused their boot configuration.");
        }
        Health health = ProfileHealth.of(status, inputs.image(), password, edgesCounted(daemonSet));
        var rolling = rollout.advance(profile, status.digest, inputs.credentials(), context.getClient());
        status.rollout = rolling.status();
        if (health instanceof Health.Current) {
            health = rolling.health().orElse(health);
        }
        status.conditions = Health.apply(status.conditions, health, generation);
        status.conditions = NodeIdentityCondition.apply(status.conditions, profile, inputs.credentials(),
                new ConfigMapTemplates(context.getClient()), generation);
        status.observedGeneration = generation;
        StatusWrites.replaceIfChanged(profile, before, context);
        var control = UpdateControl.<NodeProfile>noUpdate();
        return rolling.recheck().map(control::rescheduleAfter).orElse(control);
    }

    @Override
    public ErrorStatusUpdateControl<NodeProfile> updateErrorStatus(NodeProfile profile, Context<NodeProfile> context, Exception e) {
        return StatusWrites.patchAfterError(profile, context, read -> {
            var status = read.getStatus() == null ? new NodeProfileStatus() : read.getStatus();
            read.setStatus(status);
            status.conditions = Health.apply(status.conditions, new Health.InProgress("ReconcileError",
                    "The operator could not act on this profile (will retry): " + e.getMessage()), read.getMetadata().getGeneration());
            return read;
        });
    }

    /**
     * Whether a credential's update changes what this reconciler reads of it: its spec, labels and annotations (the
     * rollout's reboot mark), the digest it last booted and its power state. The node API writes every boot's status
     * (certificates, the boot report's figures), and a profile woken by each would rebuild its N nodes' boot files N
     * times in a boot storm.
     */
    static boolean changesWhatTheProfileReads(NodeCredential newer, NodeCredential older) {
        return !Objects.equals(newer.getMetadata().getGeneration(), older.getMetadata().getGeneration())
                || !Objects.equals(newer.getMetadata().getLabels(), older.getMetadata().getLabels())
                || !Objects.equals(newer.getMetadata().getAnnotations(), older.getMetadata().getAnnotations())
                || !Objects.equals(lastBootDigest(newer), lastBootDigest(older))
                || !Objects.equals(powerState(newer), powerState(older));
    }

    private static String lastBootDigest(NodeCredential c) {
        return c.getStatus() == null || c.getStatus().lastBoot == null ? null : c.getStatus().lastBoot.digest;
    }

    private static Object powerState(NodeCredential c) {
        return c.getStatus() == null || c.getStatus().power == null ? null : c.getStatus().power.state;
    }

    /** Whether the DaemonSet controller has counted the edges of the DaemonSet's current spec. */
    private static boolean edgesCounted(DaemonSet daemonSet) {
        return daemonSet != null && daemonSet.getStatus() != null && daemonSet.getStatus().getObservedGeneration() != null
                && daemonSet.getStatus().getObservedGeneration() >= Objects.requireNonNullElse(daemonSet.getMetadata().getGeneration(), 0L);
    }

    static List<NodeProfileStatus.DigestCount> nodesByDigest(List<NodeCredential> credentials) {
        Map<String, Long> counts = credentials.stream()
                .filter(c -> c.getStatus() != null && c.getStatus().lastBoot != null && c.getStatus().lastBoot.digest != null)
                .collect(Collectors.groupingBy(c -> c.getStatus().lastBoot.digest, TreeMap::new, Collectors.counting()));
        return counts.entrySet().stream().map(e -> new NodeProfileStatus.DigestCount(e.getKey(), e.getValue().intValue())).toList();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static <R extends HasMetadata> CRUDKubernetesDependentResource<R, NodeProfile> labelled(
            CRUDKubernetesDependentResource<R, NodeProfile> dependent, String component) {
        dependent.configureWith(new KubernetesDependentResourceConfigBuilder()
                .withKubernetesDependentInformerConfig(InformerConfiguration.builder(dependent.resourceType())
                        .withLabelSelector(Names.COMPONENT + "=" + component)
                        .build())
                .build());
        return dependent;
    }
}
