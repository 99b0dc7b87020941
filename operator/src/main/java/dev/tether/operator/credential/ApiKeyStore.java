package dev.tether.operator.credential;

import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeCredentialStatus.ApiKey;
import dev.tether.api.v1alpha1.NodeCredentialStatus.KeySource;
import dev.tether.operator.Names;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The API-key lifecycle of node credentials, and its storage: the key's salted hash in a Secret
 * owned by the credential, and when and how it was issued in the credential's status. The key itself
 * is returned to the caller once and stored nowhere.
 */
public final class ApiKeyStore {
    static final String SALT = "salt";
    static final String HASH = "hash";

    private final KubernetesClient client;
    private final Clock clock;
    /** One issuance at a time per credential in this process; the resource version guards across processes. */
    private final ConcurrentHashMap<String, Object> issuing = new ConcurrentHashMap<>();

    public ApiKeyStore(KubernetesClient client) {
        this(client, Clock.systemUTC());
    }

    public ApiKeyStore(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    /** Refused: the credential is not armed, or another fetch took the one key first. */
    public static final class NotArmedException extends Exception {
        private final String onceIssuedAt;

        public NotArmedException(String message) {
            this(message, null);
        }

        NotArmedException(String message, String onceIssuedAt) {
            super(message);
            this.onceIssuedAt = onceIssuedAt;
        }

        /**
         * When the credential's one ({@code once}) network key was issued, if that is why it is disarmed: a node asking
         * again is either the node having lost its key or someone else having taken it.
         */
        public Optional<String> onceIssuedAt() {
            return Optional.ofNullable(onceIssuedAt);
        }
    }

    /** Refused: the credential names its TPM's endorsement key, and the node showed none or another. */
    public static final class EndorsementKeyMismatchException extends Exception {
        public EndorsementKeyMismatchException(String message) {
            super(message);
        }
    }

    /** Refused: the hardware the node named is not the hardware its credential lists. */
    public static final class HardwareMismatchException extends Exception {
        public HardwareMismatchException(String message) {
            super(message);
        }
    }

    /**
     * A key issued over the network, whether the credential is still armed afterwards, and the endorsement key the
     * credential named when it issued, or that this issue enrolled (null for none): the key must then reach only that TPM.
     *
     * @param replacedUnused when the key this one replaces was issued, if it was never used; else null
     */
    public record Issued(String key, boolean stillArmed, String endorsementKey, boolean enrolled, String replacedUnused) {
        @Override
        public String toString() {
            return "Issued[key=(redacted), stillArmed=" + stillArmed + ", endorsementKey=" + endorsementKey
                    + ", enrolled=" + enrolled + ", replacedUnused=" + replacedUnused + "]";
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
        } catch (HardwareMismatchException | EndorsementKeyMismatchException e) {
            throw new IllegalStateException("no hardware was claimed, so none can mismatch", e);
        }
    }

    /**
     * As {@link #issueByNetwork(String, String)}, for a node that named its hardware: the claim is checked
     * against the credential as it is now, under the same lock, before the arming state: a claim that does not match
     * (hardware, or the endorsement key the credential names) leaves a {@code once} credential armed. A credential
     * that names no endorsement key enrols the one shown with the first key issued ({@code status.enrolledEndorsementKey},
     * trust on first use): later keys go only to that TPM.
     *
     * @param claim the node's hardware, or null when the caller already established who the node is
     */
    public Issued issueByNetwork(String namespace, String name, HardwareClaim claim)
            throws NotArmedException, HardwareMismatchException, EndorsementKeyMismatchException {
        synchronized (issuing.computeIfAbsent(namespace + "/" + name, k -> new Object())) {
            return issueLocked(namespace, name, claim);
        }
    }

    private Issued issueLocked(String namespace, String name, HardwareClaim claim)
            throws NotArmedException, HardwareMismatchException, EndorsementKeyMismatchException {
        NodeCredential credential = client.resources(NodeCredential.class).inNamespace(namespace).withName(name).get();
        if (credential == null) {
            throw new NotArmedException("no NodeCredential " + namespace + "/" + name);
        }
        if (claim != null && !claim.matches(credential.getSpec().hardware)) {
            throw new HardwareMismatchException("the hardware the node named (MACs " + claim.macs() + (claim.smbiosUuid() == null ? ""
                    : ", SMBIOS UUID " + claim.smbiosUuid()) + ") is not listed in NodeCredential " + namespace + "/" + name
                    + " spec.hardware; correct the credential if this is the node's new hardware");
        }
        // spec.endorsementKey, else the EK the first key went to (trust on first use); spec wins, so an administrator
        // whose node got a new TPM sets it there.
        var enrolled = credential.getStatus() == null ? null : credential.getStatus().enrolledEndorsementKey;
        String expectedEk = credential.getSpec().endorsementKey != null ? credential.getSpec().endorsementKey : enrolled;
        if (claim != null && !claim.endorsementKeyMatches(expectedEk)) {
            throw new EndorsementKeyMismatchException("NodeCredential " + namespace + "/" + name + " is bound to its TPM's"
                    + " endorsement key (" + (credential.getSpec().endorsementKey != null ? "spec.endorsementKey"
                            : "status.enrolledEndorsementKey, the TPM its first key went to") + "), and this request "
                    + (claim.endorsementKey() == null ? "showed no TPM endorsement key" : "came from another TPM (endorsement key "
                            + claim.endorsementKey() + ")")
                    + "; no key was issued. If the node's TPM was replaced or cleared of its EK, set spec.endorsementKey to the"
                    + " new EK's fingerprint; if not, something other than the node asked for its key");
        }
        var status = credential.getStatus() == null ? new NodeCredentialStatus() : credential.getStatus();
        credential.setStatus(status);
        Instant now = clock.instant();
        ArmingState.refresh(credential, status, now);
        if (!status.armed) {
            throw notArmed(credential, status, now);
        }
        boolean enrols = expectedEk == null && claim != null && claim.endorsementKey() != null
                && credential.getSpec().tpm != NodeCredentialSpec.Tpm.ABSENT;
        if (enrols) {
            expectedEk = claim.endorsementKey();
            status.enrolledEndorsementKey = expectedEk;
        }
        var apiKey = status.apiKey == null ? new ApiKey() : status.apiKey;
        // Anyone may replay a TPM's public key and get a key only that TPM can open; so a once key bound to a TPM
        // spends the arming at its first use (confirmFirstUse), not here, or a replay would lock the node out.
        boolean deferred = expectedEk != null && ArmingState.mode(credential) == Arming.ONCE;
        if (!deferred) {
            ArmingState.afterNetworkIssue(credential, status);
        }
        String unusedSince = Boolean.TRUE.equals(apiKey.awaitingFirstUse) ? apiKey.issuedAt : null;
        apiKey.awaitingFirstUse = deferred ? Boolean.TRUE : null;
        apiKey.secretName = Names.apiKeySecret(name);
        apiKey.issuedAt = now.truncatedTo(ChronoUnit.SECONDS).toString();
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
        return new Issued(key, Boolean.TRUE.equals(status.armed), expectedEk, enrols, unusedSince);
    }

    private static NotArmedException notArmed(NodeCredential credential, NodeCredentialStatus status, Instant now) {
        String namespace = credential.getMetadata().getNamespace();
        String name = credential.getMetadata().getName();
        String rearm = "kubectl annotate -n " + namespace + " nc " + name + " " + NodeCredential.REARM_ANNOTATION
                + "=\"$(date +%s)\" --overwrite";
        if (ArmingState.windowClosed(credential, now)) {
            return new NotArmedException("NodeCredential " + namespace + "/" + name + " is not armed: its arming window"
                    + " (spec.armedUntil " + credential.getSpec().armedUntil + ") has closed; to let the node fetch a key,"
                    + " set spec.armedUntil to a later time, e.g. kubectl patch -n " + namespace + " nc " + name
                    + " --type merge -p '{\"spec\":{\"armedUntil\":\"'$(date -u -d '+1 hour' +%FT%TZ)'\"}}'");
        }
        // A once credential in an open window is disarmed only by having issued its key (issuedVia may since say tpm).
        boolean onceTaken = ArmingState.mode(credential) == Arming.ONCE && status.apiKey != null && status.apiKey.issuedAt != null;
        return new NotArmedException("NodeCredential " + namespace + "/" + name + " is not armed (arming: "
                + credential.getSpec().arming + (onceTaken ? ", its one key was issued at " + status.apiKey.issuedAt : "")
                + "); re-arm it with: " + rearm, onceTaken ? status.apiKey.issuedAt : null);
    }

    /**
     * The node used its key for the first time: a {@code once} credential whose key awaited that ({@code
     * status.apiKey.awaitingFirstUse}) is disarmed now. A conflicting update is left for the node's next call.
     */
    public void confirmFirstUse(String namespace, String name) {
        synchronized (issuing.computeIfAbsent(namespace + "/" + name, k -> new Object())) {
            NodeCredential credential = client.resources(NodeCredential.class).inNamespace(namespace).withName(name).get();
            if (credential == null || credential.getStatus() == null || credential.getStatus().apiKey == null
                    || !Boolean.TRUE.equals(credential.getStatus().apiKey.awaitingFirstUse)) {
                return;
            }
            var status = credential.getStatus();
            status.apiKey.awaitingFirstUse = null;
            ArmingState.afterNetworkIssue(credential, status);
            try {
                client.resource(credential).lockResourceVersion(credential.getMetadata().getResourceVersion()).updateStatus();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
            }
        }
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
        var decoder = Base64.getDecoder();
        return Optional.of(new ApiKeys.Hashed(
                new String(decoder.decode(secret.getData().get(SALT)), StandardCharsets.UTF_8),
                new String(decoder.decode(secret.getData().get(HASH)), StandardCharsets.UTF_8)));
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
        client.resource(secret).createOr(NonDeletingOperation::update);
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
