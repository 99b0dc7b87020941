package dev.tether.operator.profile;

import dev.tether.api.v1alpha1.SecretKeyRef;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The Secret a NodeProfile's {@code rootPasswordHash} names. Anyone who can write a NodeProfile can name any
 * Secret of the namespace, and the node API hands its content to every node of the profile; so the operator
 * reads only a Secret that whoever created it marked for this use with the label
 * {@value #USE_LABEL}{@code =}{@value #USE}. An unmarked Secret is treated exactly as a missing one, so a
 * profile's author learns nothing about Secrets they cannot read.
 */
public final class RootPasswordSecret {
    public static final String USE_LABEL = "tether.dev/use";
    public static final String USE = "root-password";
    /** Why a profile's root password cannot be used, as a condition reason. */
    public static final String NOT_USABLE = "RootPasswordSecretNotUsable";

    private RootPasswordSecret() {}

    /** What reading the profile's root password Secret gave: a hash, nothing asked for, or why not. */
    public sealed interface Lookup {}

    /** The profile sets no root password: the node allows no password login. */
    public record NotSet() implements Lookup {}

    public record Hash(String value) implements Lookup {
        @Override
        public String toString() {
            return "Hash[redacted]";
        }
    }

    /** @param message what happened and what to do, naming no content of any Secret */
    public record NotUsable(String message) implements Lookup {}

    public static Lookup read(KubernetesClient client, String namespace, SecretKeyRef ref) {
        return ref == null ? new NotSet() : of(client.secrets().inNamespace(namespace).withName(ref.name).get(), namespace, ref);
    }

    /**
     * What {@code ref} gives from {@code secret}, the Secret of that name as the caller read it (from the API server or a
     * cache; null when there is none).
     */
    public static Lookup of(Secret secret, String namespace, SecretKeyRef ref) {
        if (ref == null) {
            return new NotSet();
        }
        if (!marked(secret)) {
            return new NotUsable("spec.rootPasswordHash names Secret " + namespace + "/" + ref.name + ", but no Secret of that name"
                    + " is labelled " + USE_LABEL + "=" + USE + ", and the operator reads no other. Create it with the crypt(3) hash"
                    + " (e.g. from 'mkpasswd -m sha-512') under key " + ref.key + " and label it: kubectl -n " + namespace
                    + " label secret " + ref.name + " " + USE_LABEL + "=" + USE + "; or remove spec.rootPasswordHash.");
        }
        String encoded = secret.getData() == null ? null : secret.getData().get(ref.key);
        String plain = secret.getStringData() == null ? null : secret.getStringData().get(ref.key);
        if (encoded == null && plain == null) {
            return new NotUsable("Secret " + namespace + "/" + ref.name + " (labelled " + USE_LABEL + "=" + USE + ") has no key "
                    + ref.key + "; put the crypt(3) hash there or fix spec.rootPasswordHash.key.");
        }
        return new Hash((encoded != null ? new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8) : plain).strip());
    }

    private static boolean marked(Secret secret) {
        return secret != null && secret.getMetadata().getLabels() != null
                && USE.equals(secret.getMetadata().getLabels().get(USE_LABEL));
    }
}
