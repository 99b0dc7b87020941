package dev.tether.operator.credential;

import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeCredentialStatus.ApiKey;
import dev.tether.api.v1alpha1.NodeCredentialStatus.KeySource;
import dev.tether.operator.Names;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;

/**
 * The API-key lifecycle of node credentials, and its storage: the key's salted hash in a Secret
 * owned by the credential, and when and how it was issued in the credential's status. The key itself
 * is returned to the caller once and stored nowhere.
 */
public final class ApiKeyStore {
    static final String SALT = "salt";
    static final String HASH = "hash";

    private final KubernetesClient client;
    /** One issuance at a time per credential in this process; the resource version guards across processes. */
    private final java.util.concurrent.ConcurrentHashMap<String, Object> issuing = new java.util.concurrent.ConcurrentHashMap<>();

    public ApiKeyStore(KubernetesClient client) {
        this.client = client;
    }

    /** Refused: the credential is not armed, or another fetch took the one key first. */
    public static final class NotArmedException extends Exception {
        public NotArmedException(String message) {
            super(message);
        }
    }

    /** Refused: the hardware the node named is not the hardware its credential lists. */
    public static final class HardwareMismatchException extends Exception {
        public HardwareMismatchException(String message) {
            super(message);
        }
    }

    /** A key issued over the network, and whether the credential is still armed afterwards. */
    public record Issued(String key, boolean stillArmed) {
        @Override
        public String toString() {
            return "Issued[key=(redacted), stillArmed=" + stillArmed + "]";
        }
    }

    /**
     * Issues a new key over the network to an armed credential. The status is written first, with
     * the credential's resource version as a lock, so of two concurrent fetches of a {@code once}
     * key exactly one succeeds.
     */
    public String issueByNetwork(String namespace, String name) throws NotArmedException {
        try {
            return issueByNetwork(namespace, name, null).key();
        } catch (HardwareMismatchException e) {
            throw new IllegalStateException("no hardware was claimed, so none can mismatch", e);
        }
    }

    /**
     * As {@link #issueByNetwork(String, String)}, for a node that named its hardware: the claim is checked
     * against the credential as it is now, under the same lock, before the arming state.
     *
     * @param claim the node's hardware, or null when the caller already established who the node is
     */
    public Issued issueByNetwork(String namespace, String name, HardwareClaim claim) throws NotArmedException, HardwareMismatchException {
        synchronized (issuing.computeIfAbsent(namespace + "/" + name, k -> new Object())) {
            return issueLocked(namespace, name, claim);
        }
    }

    private Issued issueLocked(String namespace, String name, HardwareClaim claim) throws NotArmedException, HardwareMismatchException {
        NodeCredential credential = client.resources(NodeCredential.class).inNamespace(namespace).withName(name).get();
        if (credential == null) {
            throw new NotArmedException("no NodeCredential " + namespace + "/" + name);
        }
        if (claim != null && !claim.matches(credential.getSpec().hardware)) {
            throw new HardwareMismatchException("the hardware the node named (MACs " + claim.macs() + (claim.smbiosUuid() == null ? ""
                    : ", SMBIOS UUID " + claim.smbiosUuid()) + ") is not listed in NodeCredential " + namespace + "/" + name
                    + " spec.hardware; correct the credential if this is the node's new hardware");
        }
        var status = credential.getStatus() == null ? new NodeCredentialStatus() : credential.getStatus();
        credential.setStatus(status);
        ArmingState.refresh(credential, status);
        if (!status.armed) {
            throw new NotArmedException("NodeCredential " + namespace + "/" + name + " is not armed (arming: "
                    + credential.getSpec().arming + "); re-arm it with: kubectl annotate -n " + namespace + " nc " + name + " "
                    + NodeCredential.REARM_ANNOTATION + "=\"$(date +%s)\" --overwrite");
        }
        ArmingState.afterNetworkIssue(credential, status);
        var apiKey = status.apiKey == null ? new ApiKey() : status.apiKey;
        apiKey.secretName = Names.apiKeySecret(name);
        apiKey.issuedAt = now();
        apiKey.issuedVia = KeySource.NETWORK;
        apiKey.issueCount = (apiKey.issueCount == null ? 0 : apiKey.issueCount) + 1;
        status.apiKey = apiKey;
        status.conditions = Condition.upsert(status.conditions, new Condition(NodeCredentialStatus.KEY_ISSUED, true,
                "IssuedOverNetwork", "A key was issued over the network at " + apiKey.issuedAt + ".",
                credential.getMetadata().getGeneration()));
        try {
            client.resource(credential).lockResourceVersion(credential.getMetadata().getResourceVersion()).updateStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                throw new NotArmedException("NodeCredential " + namespace + "/" + name + " changed while the key was issued; try again");
            }
            throw e;
        }
        String key = ApiKeys.newKey();
        storeHash(credential, ApiKeys.hash(key));
        return new Issued(key, Boolean.TRUE.equals(status.armed));
    }

    /** Whether {@code key} is the credential's current key. */
    public boolean verify(String namespace, String name, String key) {
        return storedHash(namespace, name).map(stored -> ApiKeys.matches(key, stored)).orElse(false);
    }

    Optional<ApiKeys.Hashed> storedHash(String namespace, String name) {
        Secret secret = client.secrets().inNamespace(namespace).withName(Names.apiKeySecret(name)).get();
        if (secret == null || secret.getData() == null || !secret.getData().containsKey(HASH)) {
            return Optional.empty();
        }
        var decoder = java.util.Base64.getDecoder();
        return Optional.of(new ApiKeys.Hashed(
                new String(decoder.decode(secret.getData().get(SALT)), java.nio.charset.StandardCharsets.UTF_8),
                new String(decoder.decode(secret.getData().get(HASH)), java.nio.charset.StandardCharsets.UTF_8)));
    }

    private void storeHash(NodeCredential credential, ApiKeys.Hashed hashed) {
        var secret = new SecretBuilder()
                .withNewMetadata()
                .withName(Names.apiKeySecret(credential.getMetadata().getName()))
                .withNamespace(credential.getMetadata().getNamespace())
                .addToLabels(Names.managedLabels("api-key"))
                .addToLabels(Names.CREDENTIAL_LABEL, credential.getMetadata().getName())
                .endMetadata()
                .withType("Opaque")
                .withData(Map.of(SALT, base64(hashed.salt()), HASH, base64(hashed.hash())))
                .build();
        secret.addOwnerReference(credential);
        client.resource(secret).createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
    }

    private static String base64(String text) {
        return java.util.Base64.getEncoder().encodeToString(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
