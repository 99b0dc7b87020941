package dev.tether.operator.profile;

import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.operator.Names;
import dev.tether.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The profile's edges: a content server on every selected cluster node, on the host's network so a
 * PXE-booting machine reaches it by the host's address. Edges hold no secrets: their cache holds
 * only encrypted images, and node API traffic passes through them still encrypted.
 */
public class EdgeDaemonSet extends CRUDKubernetesDependentResource<DaemonSet, NodeProfile> {
    public static final String COMPONENT = "edge";
    static final String CACHE_DIR = "/var/cache/tether";
    static final String BOOT_DIR = "/etc/tether/boot";

    private final OperatorConfig config;

    public EdgeDaemonSet(OperatorConfig config) {
        super(DaemonSet.class);
        this.config = config;
    }

    @Override
    protected DaemonSet desired(NodeProfile profile, Context<NodeProfile> context) {
        return build(profile, config);
    }

    static Map<String, String> selector(NodeProfile profile) {
        return Map.of(Names.PROFILE_LABEL, profile.getMetadata().getName(), Names.COMPONENT, COMPONENT);
    }

    /** Labels of everything that makes up the profile's edges: managed-by, component and the selector. */
    static Map<String, String> labels(NodeProfile profile) {
        var labels = new HashMap<>(Names.managedLabels(COMPONENT));
        labels.putAll(selector(profile));
        return labels;
    }

    /** The profile's edge settings, with the schema's defaults when it gives none. */
    static NodeProfileSpec.Edges settings(NodeProfile profile) {
        return profile.getSpec().edges == null ? new NodeProfileSpec.Edges() : profile.getSpec().edges;
    }

    private static List<String> args(NodeProfileSpec.Edges edges, OperatorConfig config) {
        var args = new ArrayList<>(List.of(
                "edge",
                "--cache", CACHE_DIR,
                "--quota", edges.cacheSize,
                "--origin", config.originUrl(),
                "--port", Integer.toString(edges.port),
                "--api-port", Integer.toString(edges.apiPort),
                "--node-api", config.nodeApiService(),
                "--boot-config", BOOT_DIR + "/boot.json"));
        // The node API trusts edges' PROXY headers exactly when it is told where edges are; an edge sending one
        // otherwise would be refused, and one not sending it then would be refused too.
        if (!config.nodeApi().trustedProxies().isEmpty()) {
            args.add("--node-api-proxy-protocol");
        }
        return args;
    }

    /** The desired DaemonSet: a pure function of the profile and the installation's settings. */
    public static DaemonSet build(NodeProfile profile, OperatorConfig config) {
        var edges = settings(profile);
        boolean hostNetwork = !Boolean.FALSE.equals(edges.hostNetwork);
        var labels = labels(profile);
        var resources = edges.resources != null ? edges.resources : config.edgeResources();
        return new DaemonSetBuilder()
                .withNewMetadata()
                .withName(Names.edgeDaemonSet(profile.getMetadata().getName()))
                .withNamespace(profile.getMetadata().getNamespace())
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withNewSelector().withMatchLabels(selector(profile)).endSelector()
                .withNewUpdateStrategy()
                .withType("RollingUpdate")
                // One edge at a time: booting nodes fail over to the others meanwhile.
                .withNewRollingUpdate().withMaxUnavailable(new IntOrString(1)).endRollingUpdate()
                .endUpdateStrategy()
                .withNewTemplate()
                .withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec()
                .withHostNetwork(hostNetwork)
                .withDnsPolicy(hostNetwork ? "ClusterFirstWithHostNet" : "ClusterFirst")
                .withAutomountServiceAccountToken(false)
                .withNodeSelector(edges.nodeSelector)
                .withTolerations(edges.tolerations)
                .withImagePullSecrets(config.imagePullSecrets().stream()
                        .map(name -> new LocalObjectReference(name)).toList())
                .addNewContainer()
                .withName(COMPONENT)
                .withImage(config.contentServerImage())
                .withImagePullPolicy(config.contentServerPullPolicy())
                .withArgs(args(edges, config))
                .withEnv(config.logging().environment().entrySet().stream().sorted(Map.Entry.comparingByKey())
                        .map(variable -> new EnvVar(variable.getKey(), variable.getValue(), null)).toList())
                .addNewPort().withName("http").withContainerPort(edges.port).withProtocol("TCP").endPort()
                .addNewPort().withName("node-api").withContainerPort(edges.apiPort).withProtocol("TCP").endPort()
                .withNewReadinessProbe().withNewHttpGet().withPath("/readyz").withPort(new IntOrString("http")).endHttpGet()
                .withPeriodSeconds(5).endReadinessProbe()
                .withNewLivenessProbe().withNewHttpGet().withPath("/healthz").withPort(new IntOrString("http")).endHttpGet()
                .withPeriodSeconds(10).withFailureThreshold(6).endLivenessProbe()
                .withResources(resources)
                .withNewSecurityContext()
                .withRunAsNonRoot(true).withRunAsUser(65532L).withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
                .endSecurityContext()
                .addNewVolumeMount().withName("cache").withMountPath(CACHE_DIR).endVolumeMount()
                .addNewVolumeMount().withName("boot").withMountPath(BOOT_DIR).withReadOnly(true).endVolumeMount()
                .endContainer()
                .addNewVolume().withName("cache").withNewEmptyDir().withSizeLimit(new Quantity(edges.cacheSize)).endEmptyDir().endVolume()
                .addNewVolume().withName("boot").withNewConfigMap().withName(Names.bootConfigMap(profile.getMetadata().getName())).endConfigMap().endVolume()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }
}
