package dev.tether.operator.profile;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.util.Comparator;
import java.util.List;

/** What the profile's dependents are built from, read once per reconciliation. */
record ProfileInputs(ResolvedImage image, List<NodeCredential> credentials, List<Pod> readyEdgePods, List<String> edgeUrls,
                     List<String> nodeApiUrls) {
    private static final String KEY = ProfileInputs.class.getName();

    static ProfileInputs of(NodeProfile profile, Context<NodeProfile> context) {
        var shared = context.managedWorkflowAndDependentResourceContext();
        return shared.get(KEY, ProfileInputs.class).orElseGet(() -> {
            var inputs = read(profile, context);
            shared.put(KEY, inputs);
            return inputs;
        });
    }

    /** From the informers' caches, which the reconciler's event sources keep (by name, so the boot files stay stable). */
    private static ProfileInputs read(NodeProfile profile, Context<NodeProfile> context) {
        var image = ResolvedImage.resolve(profile, context.getSecondaryResource(DisklessImage.class));
        var credentials = context.getSecondaryResourcesAsStream(NodeCredential.class)
                .sorted(Comparator.comparing(c -> c.getMetadata().getName()))
                .toList();
        var edges = EdgeDaemonSet.settings(profile);
        var pods = context.getSecondaryResourcesAsStream(Pod.class)
                // A pod nodes have no address for (off the host network, before its pod address) would be given out
                // as "null".
                .filter(p -> ready(p) && address(p, edges) != null)
                .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
                .toList();
        var edgeUrls = pods.stream().map(p -> "http://" + address(p, edges) + ":" + edges.port).toList();
        var apiUrls = pods.stream().map(p -> "https://" + address(p, edges) + ":" + edges.apiPort).toList();
        return new ProfileInputs(image, credentials, pods, edgeUrls, apiUrls);
    }

    /** Nodes reach host-network edges by the host's address, others by the pod's. */
    private static String address(Pod pod, NodeProfileSpec.Edges edges) {
        String ip = Boolean.FALSE.equals(edges.hostNetwork) ? pod.getStatus().getPodIP() : pod.getStatus().getHostIP();
        return ip != null && ip.contains(":") ? "[" + ip + "]" : ip;
    }

    private static boolean ready(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
