package dev.tether.operator;

import dev.tether.operator.nodeapi.NodeApiSettings;
import dev.tether.operator.power.PowerSettings;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Settings of one operator installation, read from the environment the Helm chart sets.
 *
 * @param builderImage container image of builder Jobs (runs {@code imgutil})
 * @param contentServerImage container image of edges (and the origin)
 * @param originUrl where builders publish and edges fill from
 * @param originTokenSecret Secret (in the operator's namespace) with the origin's upload token
 * @param nodeApiService host:port of the node API Service, which edges pass node traffic through to
 * @param operatorNamespace where the operator runs
 * @param builderPrivileged builders need mount namespaces and loop devices
 * @param watchNamespaces namespaces to reconcile; empty means all
 * @param builderResources resources of a builder pod when the image does not set its own
 * @param edgeResources resources of an edge container when the profile does not set its own
 * @param builderPullPolicy pull policy of the builder image
 * @param contentServerPullPolicy pull policy of the content-server image
 * @param imagePullSecrets pull secrets for builder and edge pods
 * @param nodeApi the node API's port, CA Secrets, certificate names and failure limits
 * @param leaderElection the Lease that replicas elect a leader with; empty for a single operator outside a cluster
 * @param logging how the operator logs, and so the edges it runs
 * @param power how often BMCs are read, their timeouts, and how many are talked to at once
 */
public record OperatorConfig(
        String builderImage,
        String contentServerImage,
        String originUrl,
        String originTokenSecret,
        String nodeApiService,
        String operatorNamespace,
        boolean builderPrivileged,
        Set<String> watchNamespaces,
        ResourceRequirements builderResources,
        ResourceRequirements edgeResources,
        String builderPullPolicy,
        String contentServerPullPolicy,
        List<String> imagePullSecrets,
        NodeApiSettings nodeApi,
        Optional<LeaderElectionSettings> leaderElection,
        LogSettings logging,
        PowerSettings power) {

    public static final String ORIGIN_TOKEN_KEY = "token";

    public static OperatorConfig fromEnvironment(Map<String, String> env) {
        String nodeApiService = env.getOrDefault("TETHER_NODE_API_SERVICE", "tether-node-api:8443");
        String operatorNamespace = env.getOrDefault("TETHER_OPERATOR_NAMESPACE", "tether-system");
        return new OperatorConfig(
                env.getOrDefault("TETHER_BUILDER_IMAGE", "ghcr.io/tether-dev/builder:0.1.0"),
                env.getOrDefault("TETHER_CONTENT_SERVER_IMAGE", "ghcr.io/tether-dev/content-server:0.1.0"),
                env.getOrDefault("TETHER_ORIGIN_URL", "http://tether-origin:8080"),
                env.getOrDefault("TETHER_ORIGIN_TOKEN_SECRET", "tether-origin-token"),
                nodeApiService,
                operatorNamespace,
                Boolean.parseBoolean(env.getOrDefault("TETHER_BUILDER_PRIVILEGED", "true")),
                Set.copyOf(commaList(env.get("TETHER_WATCH_NAMESPACES"))),
                resources(env.get("TETHER_BUILDER_RESOURCES"), DEFAULT_BUILDER_RESOURCES),
                resources(env.get("TETHER_EDGE_RESOURCES"), DEFAULT_EDGE_RESOURCES),
                env.getOrDefault("TETHER_BUILDER_IMAGE_PULL_POLICY", "IfNotPresent"),
                env.getOrDefault("TETHER_CONTENT_SERVER_IMAGE_PULL_POLICY", "IfNotPresent"),
                commaList(env.get("TETHER_IMAGE_PULL_SECRETS")),
                NodeApiSettings.fromEnvironment(env, nodeApiService, operatorNamespace),
                LeaderElectionSettings.fromEnvironment(env),
                LogSettings.fromEnvironment(env),
                PowerSettings.fromEnvironment(env));
    }

    /** Settings for tests and local runs: the given images and origin, defaults for the rest. */
    public static OperatorConfig of(String builderImage, String contentServerImage, String originUrl, String operatorNamespace) {
        return fromEnvironment(Map.of(
                "TETHER_BUILDER_IMAGE", builderImage,
                "TETHER_CONTENT_SERVER_IMAGE", contentServerImage,
                "TETHER_ORIGIN_URL", originUrl,
                "TETHER_OPERATOR_NAMESPACE", operatorNamespace,
                "TETHER_NODE_API_SERVICE", "tether-node-api." + operatorNamespace + ".svc:8443"));
    }

    public OperatorConfig withNodeApi(NodeApiSettings settings) {
        return new OperatorConfig(builderImage, contentServerImage, originUrl, originTokenSecret, nodeApiService, operatorNamespace,
                builderPrivileged, watchNamespaces, builderResources, edgeResources, builderPullPolicy, contentServerPullPolicy,
                imagePullSecrets, settings, leaderElection, logging, power);
    }

    public OperatorConfig withLeaderElection(LeaderElectionSettings settings) {
        return new OperatorConfig(builderImage, contentServerImage, originUrl, originTokenSecret, nodeApiService, operatorNamespace,
                builderPrivileged, watchNamespaces, builderResources, edgeResources, builderPullPolicy, contentServerPullPolicy,
                imagePullSecrets, nodeApi, Optional.of(settings), logging, power);
    }

    public OperatorConfig withPower(PowerSettings settings) {
        return new OperatorConfig(builderImage, contentServerImage, originUrl, originTokenSecret, nodeApiService, operatorNamespace,
                builderPrivileged, watchNamespaces, builderResources, edgeResources, builderPullPolicy, contentServerPullPolicy,
                imagePullSecrets, nodeApi, leaderElection, logging, settings);
    }

    // debootstrap and mksquashfs of a few GiB finish in minutes with this, and cannot starve the node.
    private static final ResourceRequirements DEFAULT_BUILDER_RESOURCES = new ResourceRequirementsBuilder()
            .addToRequests("cpu", new Quantity("1"))
            .addToRequests("memory", new Quantity("2Gi"))
            .addToLimits("memory", new Quantity("8Gi"))
            .build();
    // A boot storm is network bound; the page cache does the rest.
    private static final ResourceRequirements DEFAULT_EDGE_RESOURCES = new ResourceRequirementsBuilder()
            .addToRequests("cpu", new Quantity("100m"))
            .addToRequests("memory", new Quantity("256Mi"))
            .addToLimits("memory", new Quantity("1Gi"))
            .build();

    private static List<String> commaList(String text) {
        if (text == null) {
            return List.of();
        }
        return Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static ResourceRequirements resources(String json, ResourceRequirements fallback) {
        if (json == null || json.isBlank() || json.equals("{}")) {
            return fallback;
        }
        try {
            return new KubernetesSerialization().unmarshal(json, ResourceRequirements.class);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("resources setting is not valid JSON resource requirements: " + json, e);
        }
    }
}
