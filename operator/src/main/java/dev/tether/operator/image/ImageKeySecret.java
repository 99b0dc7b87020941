package dev.tether.operator.image;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.operator.Names;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/**
 * The encryption key of one build: 256 random bits in a Secret owned by the image. It is made once,
 * before the build, and never regenerated: the published version can only be read with it.
 */
public final class ImageKeySecret {
    public static final String KEY = "key";
    private static final SecureRandom RANDOM = new SecureRandom();

    private ImageKeySecret() {}

    public static Secret desired(DisklessImage image, long generation) {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        var metadata = image.getMetadata();
        return new SecretBuilder()
                .withNewMetadata()
                .withName(Names.imageKeySecret(metadata.getName(), generation))
                .withNamespace(metadata.getNamespace())
                .addToLabels(Names.managedLabels("image-key"))
                .addToLabels(Map.of(Names.IMAGE_LABEL, metadata.getName(), Names.GENERATION_LABEL, Long.toString(generation)))
                .endMetadata()
                .withType("Opaque")
                .withImmutable(true)
                .withData(Map.of(KEY, Base64.getEncoder().encodeToString(key)))
                .build();
    }
}
