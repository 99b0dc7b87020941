package dev.tether.operator.image;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageStatus.Build;
import dev.tether.operator.Names;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/**
 * The encryption key of one build: 256 random bits in a Secret owned by the image. Created once, while its build
 * runs, and never regenerated or updated (a create-only dependent): the published version can only be read with it.
 * Garbage collection removes it with its version.
 */
public final class ImageKeySecret extends BuildDependent<Secret> implements Creator<Secret, DisklessImage> {
    public static final String KEY = "key";
    public static final String COMPONENT = "image-key";
    /** Only a running build of an encrypted image gets a key. */
    static final Condition<Object, DisklessImage> KEY_DUE = (dependent, image, context) ->
            running(image) && build(image).keySecret != null;
    private static final SecureRandom RANDOM = new SecureRandom();

    ImageKeySecret() {
        super(Secret.class, COMPONENT);
    }

    @Override
    String name(DisklessImage image, Build build) {
        return Names.imageKeySecret(image.getMetadata().getName(), generation(build));
    }

    /**
     * A key Secret of this name that the dependent did not find (not yet in its informer, or made without an owner: put
     * there by hand, or restored) is this build's key: it is kept as it is, never replaced by a new one. Without this,
     * the create would fail the same way at every retry and the build would never start (found by the VM suite, whose
     * harness puts the cached build's key in place first).
     */
    @Override
    public Secret create(Secret desired, DisklessImage image, Context<DisklessImage> context) {
        try {
            return super.create(desired, image, context);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            Secret existing = context.getClient().secrets().inNamespace(desired.getMetadata().getNamespace())
                    .withName(desired.getMetadata().getName()).get();
            if (existing == null) {
                throw e;
            }
            return existing;
        }
    }

    @Override
    protected Secret desired(DisklessImage image, Context<DisklessImage> context) {
        long generation = generation(build(image));
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        var metadata = image.getMetadata();
        return new SecretBuilder()
                .withNewMetadata()
                .withName(Names.imageKeySecret(metadata.getName(), generation))
                .withNamespace(metadata.getNamespace())
                .addToLabels(Names.managedLabels(COMPONENT))
                .addToLabels(Map.of(Names.IMAGE_LABEL, metadata.getName(), Names.GENERATION_LABEL, Long.toString(generation)))
                .endMetadata()
                .withType("Opaque")
                .withImmutable(true)
                .withData(Map.of(KEY, Base64.getEncoder().encodeToString(key)))
                .build();
    }
}
