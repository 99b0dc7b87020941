package dev.tether.operator.trust;

import dev.tether.operator.Names;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;

/**
 * The SSH CA's public half where users can read it without access to Secrets: a ConfigMap in the operator's
 * namespace, named like the CA's Secret, with the {@code known_hosts} line that makes every node's host
 * certificate trusted. The line trusts the CA only for the hosts its {@link PrincipalPolicy} lets it certify, never
 * for {@code *}: a client that adds it trusts the CA for the cluster's nodes, not for every host it connects to.
 */
public final class SshCaPublication {
    /** The line for {@code ~/.ssh/known_hosts} or {@code /etc/ssh/ssh_known_hosts}. */
    public static final String KNOWN_HOSTS = "ssh_known_hosts";
    /** The CA's public key alone, as {@code ssh-keygen} writes a {@code .pub} file. */
    public static final String PUBLIC_KEY = "ca.pub";

    private SshCaPublication() {}

    public static String knownHostsLine(SshCa ca, PrincipalPolicy policy) {
        var patterns = policy.knownHostsPatterns();
        if (patterns.isEmpty()) {
            return "# The operator's SSH principal policy (nodeApi.sshPrincipals) allows no host names, so it certifies no host"
                    + " and there is nothing to trust.\n";
        }
        return "@cert-authority " + String.join(",", patterns) + " " + ca.publicKey() + "\n";
    }

    /** Creates the ConfigMap, or brings its data up to date (an administrator may have replaced the CA). */
    public static void publish(KubernetesClient client, String namespace, String name, SshCa ca, PrincipalPolicy policy) {
        Map<String, String> data = Map.of(KNOWN_HOSTS, knownHostsLine(ca, policy), PUBLIC_KEY, ca.publicKey() + "\n");
        var configMaps = client.configMaps().inNamespace(namespace);
        ConfigMap existing = configMaps.withName(name).get();
        if (existing == null) {
            configMaps.resource(new ConfigMapBuilder()
                    .withNewMetadata().withName(name).withNamespace(namespace)
                    .addToLabels(Names.managedLabels("ssh-ca")).endMetadata()
                    .withData(data).build()).create();
        } else if (!data.equals(existing.getData())) {
            configMaps.withName(name).edit(c -> {
                c.setData(data);
                return c;
            });
        }
    }
}
