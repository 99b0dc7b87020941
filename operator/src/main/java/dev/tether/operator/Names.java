package dev.tether.operator;

import dev.tether.contracts.BlobDigest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

/** Names and labels of the objects the operator owns, kept within Kubernetes' length limits. */
public final class Names {
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String OPERATOR = "tether-operator";
    public static final String IMAGE_LABEL = "tether.dev/image";
    public static final String GENERATION_LABEL = "tether.dev/generation";
    public static final String PROFILE_LABEL = "tether.dev/profile";
    public static final String CREDENTIAL_LABEL = "tether.dev/credential";
    public static final String COMPONENT = "app.kubernetes.io/component";

    private Names() {}

    /** {@code base-suffix}, shortened with a stable hash when longer than {@code max}. */
    public static String derived(String base, String suffix, int max) {
        String name = base + "-" + suffix;
        if (name.length() <= max) {
            return name;
        }
        String hash = sha256Hex(name).substring(0, 8);
        int keep = max - suffix.length() - hash.length() - 2;
        String trimmed = base.substring(0, Math.max(1, keep)).replaceAll("[-.]+$", "");
        return trimmed + "-" + hash + "-" + suffix;
    }

    public static String buildJob(String image, long generation) {
        return derived(image, "build-g" + generation, 63);
    }

    /** The build that re-packs generation {@code generation} with a boot order that arrived after its build. */
    public static String repackJob(String image, long generation) {
        return derived(image, "repack-g" + generation, 63);
    }

    /** The files the image's first recorded boot read (BootOrderConfigMap). */
    public static String bootOrderConfigMap(String image) {
        return derived(image, "boot-order", 253);
    }

    public static String imageKeySecret(String image, long generation) {
        return derived(image, "key-g" + generation, 253);
    }

    public static String buildUploadSecret(String image, long generation) {
        return derived(image, "upload-g" + generation, 253);
    }

    public static String edgeDaemonSet(String profile) {
        return derived(profile, "edge", 63);
    }

    public static String bootConfigMap(String profile) {
        return derived(profile, "boot", 253);
    }

    public static String apiKeySecret(String credential) {
        return derived(credential, "api-key", 253);
    }

    /** A node's persistence key, generation and token hash (owned by its NodeCredential). */
    public static String persistenceSecret(String credential) {
        return derived(credential, "persistence", 253);
    }

    public static Map<String, String> managedLabels(String component) {
        return Map.of(MANAGED_BY, OPERATOR, COMPONENT, component);
    }

    public static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /**
     * {@code sha256:0123456789ab…} → {@code 0123456789ab} ({@link BlobDigest#shortForm()}): enough to tell versions
     * apart at a glance. Anything that is not a digest is shown as it is (a status must not fail to be written).
     */
    public static String shortDigest(String digest) {
        return BlobDigest.isValid(digest) ? BlobDigest.parse(digest).shortForm() : digest;
    }

    /** 853123072 → {@code 813.6Mi}: binary units, as {@code kubectl} writes quantities. */
    public static String humanSize(long bytes) {
        String[] units = {"B", "Ki", "Mi", "Gi", "Ti"};
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? bytes + "B" : String.format(Locale.ROOT, "%.1f%s", value, units[unit]);
    }
}
