package dev.tether.agent.trust;

import dev.tether.agent.AgentConsole;
import dev.tether.nodeapi.ApiKeyIssued;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.EkBoundKey;
import dev.tether.nodeapi.BootConfiguration;
import dev.tether.nodeapi.NodeApi;
import dev.tether.tpm.SealedSecretStore;
import dev.tether.tpm.Tpm2;
import dev.tether.tpm.TpmException;
import dev.tether.tpm.TpmIdentity;
import java.io.IOException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Gets this boot's node API key, honouring the profile's TPM policy (docs/contracts.md, "TPM"):
 *
 * <ul>
 *   <li>unseal the key and the node API CA it was issued through ({@link Enrolment}) from the TPM; send the key
 *       only to a server whose certificate chains to that CA (an addon archive that names another CA gets
 *       nothing), and check it with the node API while the TPM can still be changed (a key the operator has
 *       since replaced counts as none);</li>
 *   <li>without a usable key, ask the node API for a new one, which it issues only while the credential is
 *       armed and only to the hardware the credential lists (and, where the credential names its TPM's endorsement
 *       key, only to that TPM, which alone can decrypt it), and seal it into the TPM together with the CA that the
 *       issuing server chained to;</li>
 *   <li>then, on every path that opened the TPM, failures included, extend PCR 15 so nothing after the
 *       initramfs can unseal the key again until the machine restarts.</li>
 * </ul>
 *
 * {@code required}: no TPM stops the boot. {@code preferred}: no TPM means a network key at every boot.
 * {@code disabled}: the TPM is never opened.
 */
public final class ApiKeyAcquisition {
    /**
     * The key and where it came from; the boot configuration when checking a sealed key fetched it already; and
     * the client for the rest of the boot, which trusts only the CA the key belongs to.
     */
    public record Result(ApiKey key, KeySource source, Optional<BootConfiguration> bootConfiguration, NodeApiClient api,
            NodeApiCa enrolledCa) {
    }

    /** A key fresh from the node API, the CA the server that issued it chained to, and the client that asked. */
    private record Issued(ApiKey key, CaFingerprint ca, NodeApiClient asked) {
    }

    private final NodeApiClient api;
    private final NodeApiCa ca;
    private final TpmAccess tpm;
    private final Supplier<HardwareIdentity> hardware;
    private final AgentConsole console;

    /**
     * @param api the node API's URLs and the credential; its TLS trust is replaced by what {@code ca} allows
     * @param ca the addon archive's node API CA certificates
     */
    public ApiKeyAcquisition(NodeApiClient api, NodeApiCa ca, TpmAccess tpm, Supplier<HardwareIdentity> hardware,
            AgentConsole console) {
        this.api = api;
        this.ca = ca;
        this.tpm = tpm;
        this.hardware = hardware;
        this.console = console;
    }

    public Result acquire(TpmPolicy policy) throws TrustException, IOException {
        if (policy == TpmPolicy.DISABLED) {
            console.info("tpmPolicy disabled: the TPM is not used; asking the node API for this boot's key");
            return fromNetwork(network("the profile does not use a TPM (tpmPolicy: disabled)", null));
        }
        Optional<SealedSecretStore> store;
        try {
            store = tpm.open();
        } catch (TpmException e) {
            if (policy == TpmPolicy.REQUIRED) {
                throw new TrustException("the profile requires a TPM (tpmPolicy: required) and this machine's TPM cannot"
                        + " be used: " + e.getMessage() + "; fix or clear the TPM in the firmware setup, or set the"
                        + " NodeProfile's tpmPolicy to preferred", e);
            }
            console.warn("the TPM cannot be used (" + e.getMessage() + "); tpmPolicy preferred: taking a key from"
                    + " the node API instead");
            store = Optional.empty();
        }
        if (store.isEmpty()) {
            if (policy == TpmPolicy.REQUIRED) {
                throw new TrustException("the profile requires a TPM (tpmPolicy: required) and this machine has none ("
                        + String.join(" and ", Tpm2.DEVICE_NAMES.stream().map(name -> "/dev/" + name).toList())
                        + " are missing); enable the TPM in the firmware setup, or set the NodeProfile's tpmPolicy to"
                        + " preferred and the NodeCredential's arming to continuous");
            }
            console.info("no TPM: asking the node API for this boot's key (tpmPolicy preferred)");
            return fromNetwork(network("this machine has no TPM", null));
        }
        try (SealedSecretStore sealed = store.get()) {
            return withTpm(sealed, policy);
        }
    }

    /** Everything that happens while the TPM is open, and the lock that must follow it whatever happened. */
    private Result withTpm(SealedSecretStore store, TpmPolicy policy) throws TrustException, IOException {
        Result result;
        try {
            result = unsealOrFetch(store, policy);
        } catch (TrustException | IOException | RuntimeException e) {
            try {
                lock(store);
            } catch (TrustException lockFailure) {
                e.addSuppressed(lockFailure);
            }
            throw e;
        }
        lock(store);
        return result;
    }

    private Result unsealOrFetch(SealedSecretStore store, TpmPolicy policy) throws TrustException, IOException {
        Optional<Enrolment> sealed = unseal(store);
        String why = "the TPM holds no key";
        if (sealed.isPresent()) {
            Optional<NodeApiCa> enrolledCa = ca.pinnedTo(sealed.get().ca());
            if (enrolledCa.isEmpty()) {
                why = caMismatch(sealed.get().ca());
                console.warn(why + "; the key is not sent: asking the node API for a new one, which it issues only"
                        + " while the NodeCredential is armed");
            } else {
                NodeApiClient pinned = api.trusting(enrolledCa.get().tls(NodeApi.SERVER_NAME).context());
                // Checked now, while a replaced key can still be sealed over; after the lock it could not be.
                try {
                    BootConfiguration config = pinned.bootConfiguration(sealed.get().key());
                    console.info("API key unsealed from the TPM (node API CA " + sealed.get().ca().shortForm() + ")");
                    return new Result(sealed.get().key(), KeySource.TPM, Optional.of(config), pinned, enrolledCa.get());
                } catch (NodeApiRefusal refusal) {
                    if (refusal.status() != 401) {
                        throw new TrustException(NodeTrust.refusalLine(refusal, api), refusal);
                    }
                    console.warn("the node API no longer accepts the key sealed in the TPM (the credential's key was"
                            + " issued again since); asking for a new one");
                    why = "the key in the TPM is no longer valid";
                }
            }
        }
        Issued fresh = network(why, store);
        byte[] bytes = new Enrolment(fresh.ca(), fresh.key()).toSeal();
        try {
            store.seal(bytes);
            console.info("sealed the new API key in the TPM, bound to the node API CA " + fresh.ca().shortForm());
        } catch (TpmException e) {
            if (policy == TpmPolicy.REQUIRED) {
                throw new TrustException("cannot seal the new API key in the TPM (" + e.getMessage() + ") and the profile"
                        + " requires it (tpmPolicy: required); clear the TPM in the firmware setup, re-arm the"
                        + " NodeCredential " + api.credential() + " and reboot", e);
            }
            console.warn("cannot seal the new API key in the TPM (" + e.getMessage() + "); this boot goes on, but the"
                    + " next one needs the NodeCredential " + api.credential() + " armed again");
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
        return fromNetwork(fresh);
    }

    /** What the console says when the addon's CA is not the one the key was sealed with. */
    private String caMismatch(CaFingerprint enrolled) {
        return "the addon archive's node API CA (" + String.join(", ", ca.fingerprints().stream()
                .map(CaFingerprint::shortForm).toList()) + ", from " + ca.source() + ") is not the CA this node"
                + " enrolled with (" + enrolled.shortForm() + "): either the cluster CA was replaced (then re-arm the"
                + " NodeCredential " + api.credential() + " so the node enrols again) or someone on the boot network"
                + " serves a forged addon archive";
    }

    private Optional<Enrolment> unseal(SealedSecretStore store) {
        Optional<byte[]> bytes;
        try {
            bytes = store.unseal();
        } catch (TpmException e) {
            console.warn("cannot unseal the API key from the TPM (" + e.getMessage() + "); treating it as empty");
            return Optional.empty();
        }
        if (bytes.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Enrolment.fromSealed(bytes.get()));
        } catch (IllegalArgumentException e) {
            console.warn(e.getMessage() + "; treating the TPM as empty");
            return Optional.empty();
        } finally {
            Arrays.fill(bytes.get(), (byte) 0);
        }
    }

    private void lock(SealedSecretStore store) throws TrustException {
        try {
            store.lock();
            console.info("PCR 15 extended: the API key cannot be unsealed again until the machine restarts");
        } catch (TpmException e) {
            throw new TrustException("cannot extend PCR 15 (" + e.getMessage() + "), so the API key would stay"
                    + " unsealable after the hand-over; the boot stops. Check the TPM (firmware setup, tpm2_pcrread)", e);
        }
    }

    /**
     * The rest of the boot talks only to servers of the CA that issued the key. Where that CA is the addon archive's
     * only one, the client that asked trusts exactly it already, and its connection serves the rest of the boot: one
     * TLS handshake less (about a second of an emulated node's CPU). With more CAs (one being replaced), a client
     * trusting the issuing CA alone.
     */
    private Result fromNetwork(Issued issued) {
        NodeApiCa enrolledCa = ca.pinnedTo(issued.ca()).orElseThrow();
        NodeApiClient pinned = ca.isOnly(issued.ca()) ? issued.asked()
                : api.trusting(enrolledCa.tls(NodeApi.SERVER_NAME).context());
        return new Result(issued.key(), KeySource.NETWORK, Optional.empty(), pinned, enrolledCa);
    }

    /**
     * Asks the node API for a new key, trusting any CA of the addon archive: the request carries no secret (a
     * key bound to the TPM is useless to anyone else). {@code why} says in the refusal's line why the node asked. With a TPM
     * ({@code store} not null) the request shows its endorsement key, and a key bound to it is recovered with
     * TPM2_ActivateCredential; the TPM's keys are flushed before this returns, so sealing has the TPM to itself.
     */
    private Issued network(String why, SealedSecretStore store) throws TrustException, IOException {
        HardwareIdentity identity = hardware.get();
        Optional<TpmIdentity> tpmIdentity = Optional.empty();
        if (store != null) {
            try {
                tpmIdentity = store.identity();
            } catch (TpmException e) {
                console.warn("cannot read the TPM's endorsement key (" + e.getMessage() + "); asking without it, which a"
                        + " credential bound to its endorsement key refuses");
            }
        }
        try {
            return network(why, identity, tpmIdentity.orElse(null));
        } finally {
            tpmIdentity.ifPresent(TpmIdentity::close);
        }
    }

    private Issued network(String why, HardwareIdentity identity, TpmIdentity tpmIdentity) throws TrustException, IOException {
        ArmingRequest request = identity.request();
        String ek = null;
        if (tpmIdentity != null) {
            ek = tpmIdentity.endorsementKey().fingerprint();
            console.info("this machine's TPM endorsement key is " + ek + " (spec.endorsementKey of its NodeCredential)");
            Base64.Encoder b64 = Base64.getEncoder();
            request = new ArmingRequest(request.macs(), request.smbiosUuid(), new ArmingRequest.Tpm(
                    b64.encodeToString(tpmIdentity.endorsementKey().tpm2bPublic()),
                    b64.encodeToString(tpmIdentity.activationKey().tpm2bPublic())));
        }
        NodeApiCa.Tls tls = ca.tls(NodeApi.SERVER_NAME);
        NodeApiClient asking = api.trusting(tls.context());
        ApiKeyIssued issued;
        try {
            issued = asking.requestApiKey(request);
        } catch (NodeApiRefusal refusal) {
            throw new TrustException(armingRefusalLine(refusal, why, identity, ek), refusal);
        }
        ApiKey key;
        try {
            key = ApiKey.of(issued.boundKey() == null ? issued.apiKey() : activate(issued.boundKey(), tpmIdentity));
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        console.info("the node API issued a new API key for " + api.credential()
                + (issued.boundKey() == null ? "" : ", encrypted to this TPM and recovered with TPM2_ActivateCredential")
                + " (arming now " + (issued.arming() == null ? "unknown" : NodeApiRefusal.clean(issued.arming())) + ")");
        CaFingerprint issuer = tls.lastAccepted().orElseThrow(() -> new IllegalStateException(
                "a key arrived over TLS that accepted no server certificate"));
        return new Issued(key, issuer, asking);
    }

    /** The API key inside a TPM-bound answer: the TPM activates the credential, which decrypts the key. */
    private String activate(EkBoundKey bound, TpmIdentity tpmIdentity) throws TrustException {
        if (tpmIdentity == null) {
            throw new TrustException("the node API sent a key only a TPM can open, and this boot has no usable TPM; enable"
                    + " the TPM in the firmware setup and reboot");
        }
        byte[] credential;
        try {
            credential = tpmIdentity.activateCredential(bound.credentialBlobBytes(), bound.encryptedSecretBytes());
        } catch (TpmException e) {
            throw new TrustException("this TPM cannot open the key the node API sent for " + api.credential() + " ("
                    + e.getMessage() + "): it was made for another TPM's endorsement key; check the NodeCredential's"
                    + " spec.endorsementKey", e);
        }
        try {
            return bound.open(credential, api.namespace(), api.node());
        } finally {
            Arrays.fill(credential, (byte) 0);
        }
    }

    private String armingRefusalLine(NodeApiRefusal refusal, String why, HardwareIdentity identity, String ek) {
        String credential = "NodeCredential " + api.credential();
        return switch (refusal.code()) {
            case "NotArmed" -> credential + " is disarmed and " + why + ", so the node has no API key; re-arm it with"
                    + " `kubectl annotate -n " + api.namespace() + " nodecredential " + api.node() + " "
                    + NodeTrust.REARM_ANNOTATION + "=\"$(date +%s)\" --overwrite` (if it has spec.armedUntil, also set a"
                    + " later one) and reboot the node (a node that"
                    + " fetches its key at every boot needs spec.arming: continuous)" + refusal.serverSuffix();
            case "HardwareMismatch" -> "the node API will not issue a key for " + credential + " to this machine ("
                    + identity.describe() + "): the credential's spec.hardware lists none of them; correct"
                    + " spec.hardware, or check that tether.node=" + api.node() + " names this machine"
                    + refusal.serverSuffix();
            case "EndorsementKeyMismatch" -> "the node API will not issue a key for " + credential + " to this machine:"
                    + " the credential is bound to a TPM endorsement key, and this machine's is "
                    + (ek == null ? "unknown (no usable TPM)" : ek) + "; if this is the node and its TPM was replaced, set"
                    + " spec.endorsementKey to that value, or check that tether.node=" + api.node() + " names this machine"
                    + refusal.serverSuffix();
            case "UnknownNode" -> "the node API knows no NodeCredential with spec.nodeName " + api.node()
                    + " in namespace " + api.namespace() + "; create one, or correct tether.node= in the node's"
                    + " boot entry" + refusal.serverSuffix();
            case "RateLimited" -> "the node API rate-limits key requests for " + credential + " (too many failed"
                    + " attempts); wait a few minutes and reboot the node" + refusal.serverSuffix();
            default -> refusal.getMessage() + " for " + credential + "; " + why;
        };
    }
}
