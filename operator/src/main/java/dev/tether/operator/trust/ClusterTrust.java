package dev.tether.operator.trust;

import dev.tether.operator.nodeapi.NodeApiSettings;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The two CAs of an installation, read (or made, the first time) from the operator's namespace at start-up; the
 * SSH CA's public key is published next to it as a ConfigMap.
 */
public record ClusterTrust(ClusterCa clusterCa, SshCa sshCa) {
    public static ClusterTrust loadOrCreate(KubernetesClient client, String operatorNamespace, NodeApiSettings settings) {
        SshCa sshCa = SshCa.loadOrCreate(client, operatorNamespace, settings.sshCaSecret(), settings.sshCaSecretKey());
        SshCaPublication.publish(client, operatorNamespace, settings.sshCaSecret(), sshCa, settings.sshPrincipals());
        return new ClusterTrust(ClusterCa.loadOrCreate(client, operatorNamespace, settings.caSecret()), sshCa);
    }
}
