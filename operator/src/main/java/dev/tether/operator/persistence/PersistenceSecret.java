package dev.tether.operator.persistence;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.Names;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One node's persistence state in a Secret of its namespace, owned by its NodeCredential (so it goes with it): the
 * archive key (32 random bytes, never changed), the generation of the archive stored, and the SHA-256 of the current
 * boot's persistence token. The generation lives here, in the API server, and not beside the archive on the operator's
 * volume, so an archive rolled back on that volume no longer matches the generation the node is told to expect.
 *
 * <p>The Secret is tied to the credential's uid: a credential deleted and made again under the same name is a new
 * machine, and gets a new key and no archive, never the old one's.
 */
public final class PersistenceSecret {
    static final String KEY = "key";
    static final String GENERATION = "generation";
    static final String TOKEN_SHA256 = "token-sha256";
    static final String CREDENTIAL_UID = "tether.dev/credential-uid";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KubernetesClient client;
    /** The token hash of each node's current boot, by credential uid, as this operator issued or last read it. */
    private final Map<String, byte[]> issuedTokens = new ConcurrentHashMap<>();

    public PersistenceSecret(KubernetesClient client) {
        this.client = client;
    }

    /** The node's key and stored generation, and the token that authenticates this boot's saves. */
    public record Issued(byte[] key, long generation, String token) {
        @Override
        public String toString() {
            return "Issued[generation=" + generation + ", key=(redacted), token=(redacted)]";
        }
    }

    /**
     * The node's key (made at its first call) and a new token, which replaces the previous boot's. Called only with the
     * node's API key.
     */
    public Issued issue(NodeCredential credential) {
        String token = NodeApi.PERSISTENCE_TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random(32));
        for (int attempt = 0; ; attempt++) {
            Secret secret = current(credential).orElse(null);
            try {
                if (secret == null) {
                    byte[] key = random(32);
                    client.resource(newSecret(credential, key, token)).create();
                    issuedTokens.put(credential.getMetadata().getUid(), sha256(token));
                    return new Issued(key, 0, token);
                }
                Map<String, String> data = new HashMap<>(secret.getData());
                data.put(TOKEN_SHA256, base64(sha256(token)));
                secret.setData(data);
                // The resourceVersion read above: a concurrent change (a save's generation) is not overwritten.
                client.resource(secret).update();
                issuedTokens.put(credential.getMetadata().getUid(), sha256(token));
                return new Issued(Base64.getDecoder().decode(data.get(KEY)), generation(secret), token);
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= 4) {
                    throw e;
                }
            }
        }
    }

    /** The stored generation (0: no archive), or empty when the node never asked for its key. */
    public Optional<Long> generation(NodeCredential credential) {
        return current(credential).map(PersistenceSecret::generation);
    }

    /**
     * Whether {@code token} is the current boot's persistence token of the node; in constant time. The hash issued by this
     * operator is remembered, so the right token costs the API server nothing; only when it does not match (the operator
     * restarted since) is the Secret read, and only when {@code mayRead}, so made-up tokens sent while the request's
     * failure budgets are spent cost it nothing either, and never lock out the node's own saver.
     */
    public boolean tokenMatches(NodeCredential credential, String token, boolean mayRead) {
        byte[] offered = sha256(token);
        byte[] remembered = issuedTokens.get(credential.getMetadata().getUid());
        if (remembered != null && MessageDigest.isEqual(remembered, offered)) {
            return true;
        }
        if (!mayRead) {
            return false;
        }
        Optional<byte[]> stored = current(credential).map(s -> s.getData().get(TOKEN_SHA256)).map(Base64.getDecoder()::decode);
        stored.ifPresent(hash -> issuedTokens.put(credential.getMetadata().getUid(), hash));
        return stored.isPresent() && MessageDigest.isEqual(stored.get(), offered);
    }

    /**
     * Records {@code generation} as stored, if the stored one is still {@code generation - 1}.
     *
     * @return false when another save got there first
     */
    public boolean advance(NodeCredential credential, long generation) {
        for (int attempt = 0; attempt < 5; attempt++) {
            Secret secret = current(credential).orElse(null);
            if (secret == null || generation(secret) != generation - 1) {
                return false;
            }
            Map<String, String> data = new HashMap<>(secret.getData());
            data.put(GENERATION, base64(Long.toString(generation).getBytes(StandardCharsets.US_ASCII)));
            secret.setData(data);
            try {
                client.resource(secret).update();
                return true;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
            }
        }
        return false;
    }

    /** The Secret, when it belongs to this credential (not to an earlier one of the same name, awaiting collection). */
    private Optional<Secret> current(NodeCredential credential) {
        String namespace = credential.getMetadata().getNamespace();
        Secret secret = client.secrets().inNamespace(namespace).withName(Names.persistenceSecret(credential.getMetadata().getName())).get();
        if (secret == null) {
            return Optional.empty();
        }
        String uid = secret.getMetadata().getAnnotations() == null ? null : secret.getMetadata().getAnnotations().get(CREDENTIAL_UID);
        if (uid == null || !uid.equals(credential.getMetadata().getUid()) || secret.getData() == null
                || secret.getData().get(KEY) == null) {
            // Another machine's, under a name used again: never handed to this one.
            client.resource(secret).delete();
            return Optional.empty();
        }
        return Optional.of(secret);
    }

    private static Secret newSecret(NodeCredential credential, byte[] key, String token) {
        Secret secret = new SecretBuilder()
                .withNewMetadata()
                .withName(Names.persistenceSecret(credential.getMetadata().getName()))
                .withNamespace(credential.getMetadata().getNamespace())
                .addToLabels(Names.managedLabels("persistence"))
                .addToLabels(Names.CREDENTIAL_LABEL, credential.getMetadata().getName())
                .addToAnnotations(CREDENTIAL_UID, credential.getMetadata().getUid())
                .endMetadata()
                .withType("Opaque")
                .withData(Map.of(KEY, base64(key), GENERATION, base64("0".getBytes(StandardCharsets.US_ASCII)),
                        TOKEN_SHA256, base64(sha256(token))))
                .build();
        secret.addOwnerReference(credential);
        return secret;
    }

    private static long generation(Secret secret) {
        String encoded = secret.getData().get(GENERATION);
        return encoded == null ? 0 : Long.parseLong(new String(Base64.getDecoder().decode(encoded), StandardCharsets.US_ASCII).strip());
    }

    private static byte[] random(int bytes) {
        byte[] out = new byte[bytes];
        RANDOM.nextBytes(out);
        return out;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
