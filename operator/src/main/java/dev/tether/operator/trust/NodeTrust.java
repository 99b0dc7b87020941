package dev.tether.operator.trust;

import dev.tether.operator.nodeapi.NodeApiSettings;
import io.fabric8.kubernetes.client.KubernetesClient;

/** The two CAs of an installation, read (or made, the first time) from the operator's namespace at start-up. */
public record NodeTrust(ClusterCa clusterCa, SshCa sshCa) {
    public static NodeTrust loadOrCreate(KubernetesClient client, String operatorNamespace, NodeApiSettings settings) {
        return new NodeTrust(ClusterCa.loadOrCreate(client, operatorNamespace, settings.caSecret()),
                SshCa.loadOrCreate(client, operatorNamespace, settings.sshCaSecret(), settings.sshCaSecretKey()));
    }
}
