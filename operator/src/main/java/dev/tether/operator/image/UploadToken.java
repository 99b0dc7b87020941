package dev.tether.operator.image;

import dev.tether.operator.Names;
import dev.tether.operator.OperatorConfig;
import dev.tether.origin.GrantKey;
import dev.tether.origin.UploadGrant;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The origin's token, and the upload grants the operator mints from it. The operator makes the token once in its own
 * namespace (so it is never in the Helm release) and alone uses it (to delete blobs). A builder Job gets only its
 * build's {@link UploadGrant}, in a Secret of its own: it may upload until the build's timeout is over and can delete
 * nothing, so a DisklessImage author, whose steps run inside the builder, can neither touch another namespace's blobs
 * nor keep a credential beyond their build.
 */
public final class UploadToken {
    private static final Logger LOG = LoggerFactory.getLogger(UploadToken.class);
    /** Earlier versions copied the origin's token itself into every namespace that built images, under this name. */
    static final String LEGACY_NAMESPACE_COPY = "tether-origin-upload";

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
        client.resource(secret(config.originTokenSecret(), config.operatorNamespace(), "origin-token", text)).create();
    }

    /** The token itself, for the operator's own calls to the origin. */
    public static String read(KubernetesClient client, OperatorConfig config) {
        Secret secret = client.secrets().inNamespace(config.operatorNamespace()).withName(config.originTokenSecret()).get();
        if (secret == null || secret.getData() == null || !secret.getData().containsKey(OperatorConfig.ORIGIN_TOKEN_KEY)) {
            throw new IllegalStateException("Secret " + config.operatorNamespace() + "/" + config.originTokenSecret()
                    + " with key '" + OperatorConfig.ORIGIN_TOKEN_KEY + "' is missing; restart the operator to recreate it");
        }
        return new String(Base64.getDecoder().decode(secret.getData().get(OperatorConfig.ORIGIN_TOKEN_KEY)), StandardCharsets.UTF_8);
    }

    /** The build's name in its grant and in the origin's log: {@code namespace/image/g<generation>}. */
    static String buildName(String namespace, String image, long generation) {
        return namespace + "/" + image + "/g" + generation;
    }

    /** The Secret with one build's upload grant, valid until {@code expires}, in the image's namespace. */
    static Secret grantSecret(KubernetesClient client, OperatorConfig config, String namespace, String image, long generation,
                              Instant expires) {
        String grant = new UploadGrant(buildName(namespace, image, generation), expires)
                .token(GrantKey.derivedFrom(read(client, config)));
        return secret(Names.buildUploadSecret(image, generation), namespace, UploadGrantSecret.COMPONENT, grant);
    }

    /** Removes the copies of the origin's token that earlier versions left in the namespaces that built images. */
    public static void removeNamespaceCopies(KubernetesClient client, OperatorConfig config) {
        var copies = config.watchNamespaces().isEmpty()
                ? client.secrets().inAnyNamespace().withLabels(Names.managedLabels("origin-token")).list().getItems()
                : config.watchNamespaces().stream()
                        .map(ns -> client.secrets().inNamespace(ns).withName(LEGACY_NAMESPACE_COPY).get())
                        .filter(s -> s != null && "origin-token".equals(s.getMetadata().getLabels() == null ? null
                                : s.getMetadata().getLabels().get(Names.COMPONENT)))
                        .toList();
        for (Secret copy : copies) {
            String namespace = copy.getMetadata().getNamespace();
            if (LEGACY_NAMESPACE_COPY.equals(copy.getMetadata().getName()) && !config.operatorNamespace().equals(namespace)) {
                client.secrets().inNamespace(namespace).withName(LEGACY_NAMESPACE_COPY).delete();
                LOG.info("removed the copy of the origin's token from namespace {}: builds now get an upload grant of their own",
                        namespace);
            }
        }
    }

    private static Secret secret(String name, String namespace, String component, String token) {
        return new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .addToLabels(Names.managedLabels(component))
                .endMetadata()
                .withType("Opaque")
                .withData(Map.of(OperatorConfig.ORIGIN_TOKEN_KEY,
                        Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8))))
                .build();
    }
}
