package dev.tether.operator.image;

import dev.tether.operator.Names;
import dev.tether.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;

/**
 * The origin's bearer token. The operator makes it once in its own namespace (so it is never in the
 * Helm release), and puts a copy in each namespace that builds images, because a Job can mount only
 * Secrets of its own namespace.
 */
public final class UploadToken {
    private UploadToken() {}

    /** Creates the token Secret in the operator's namespace if it does not exist yet. */
    public static void ensure(KubernetesClient client, OperatorConfig config) {
        var secrets = client.secrets().inNamespace(config.operatorNamespace());
        if (secrets.withName(config.originTokenSecret()).get() != null) {
            return;
        }
        byte[] token = new byte[32];
        new SecureRandom().nextBytes(token);
        String text = Base64.getUrlEncoder().withoutPadding().encodeToString(token);
        client.resource(secret(config.originTokenSecret(), config.operatorNamespace(), text)).create();
    }

    /** The token itself, for the operator's own calls to the origin. */
    public static String read(KubernetesClient client, OperatorConfig config) {
        Secret secret = client.secrets().inNamespace(config.operatorNamespace()).withName(config.originTokenSecret()).get();
        if (secret == null || secret.getData() == null || !secret.getData().containsKey(OperatorConfig.ORIGIN_TOKEN_KEY)) {
            throw new IllegalStateException("Secret " + config.operatorNamespace() + "/" + config.originTokenSecret()
                    + " with key '" + OperatorConfig.ORIGIN_TOKEN_KEY + "' is missing; restart the operator to recreate it");
        }
        return new String(Base64.getDecoder().decode(secret.getData().get(OperatorConfig.ORIGIN_TOKEN_KEY)), java.nio.charset.StandardCharsets.UTF_8);
    }

    static void copyInto(KubernetesClient client, OperatorConfig config, String namespace) {
        String token = read(client, config);
        var existing = client.secrets().inNamespace(namespace).withName(BuildJob.UPLOAD_TOKEN_SECRET).get();
        var desired = secret(BuildJob.UPLOAD_TOKEN_SECRET, namespace, token);
        if (existing == null) {
            client.resource(desired).create();
        } else if (!Objects.equals(existing.getData(), desired.getData())) {
            client.resource(desired).update();
        }
    }

    private static Secret secret(String name, String namespace, String token) {
        return new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .addToLabels(Names.managedLabels("origin-token"))
                .endMetadata()
                .withType("Opaque")
                .withData(Map.of(OperatorConfig.ORIGIN_TOKEN_KEY,
                        Base64.getEncoder().encodeToString(token.getBytes(java.nio.charset.StandardCharsets.UTF_8))))
                .build();
    }
}
