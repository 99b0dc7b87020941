package dev.tether.operator.trust;

import dev.tether.operator.Names;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Secrets the operator keeps in its own namespace (the cluster CA, the SSH CA): read if present, created
 * once if not, and never regenerated. Two operator replicas starting together both try to create;
 * the loser reads what the winner wrote.
 */
final class OperatorSecrets {
    private OperatorSecrets() {}

    /** The Secret's data as text, creating it from {@code fresh} when it does not exist. */
    static Map<String, String> readOrCreate(KubernetesClient client, String namespace, String name, String component,
                                            Supplier<Map<String, String>> fresh) {
        Secret existing = client.secrets().inNamespace(namespace).withName(name).get();
        if (existing != null) {
            return decode(existing);
        }
        Map<String, String> data = fresh.get();
        var encoded = new LinkedHashMap<String, String>();
        data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        Secret secret = new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .addToLabels(Names.managedLabels(component))
                .endMetadata()
                .withType("Opaque")
                .withData(encoded)
                .build();
        try {
            client.resource(secret).create();
            return data;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            return decode(client.secrets().inNamespace(namespace).withName(name).get());
        }
    }

    /** The Secret's data as text, or null when there is no such Secret. */
    static Map<String, String> read(KubernetesClient client, String namespace, String name) {
        Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
        return secret == null ? null : decode(secret);
    }

    static Map<String, String> decode(Secret secret) {
        var data = new LinkedHashMap<String, String>();
        if (secret.getData() != null) {
            secret.getData().forEach((k, v) -> data.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        }
        if (secret.getStringData() != null) {
            data.putAll(secret.getStringData());
        }
        return data;
    }
}
