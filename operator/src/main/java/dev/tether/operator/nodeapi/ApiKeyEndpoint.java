package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.api.v1alpha1.Patterns;
import dev.tether.nodeapi.ApiKeyIssued;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.EkBoundKey;
import dev.tether.operator.EventRecorder;
import dev.tether.operator.credential.ApiKeyStore;
import dev.tether.operator.credential.HardwareClaim;
import dev.tether.tpm.ActivationKey;
import dev.tether.tpm.EndorsementKey;
import dev.tether.tpm.MakeCredential;
import dev.tether.tpm.TpmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * {@code POST api-key}: a new API key for a node whose credential is armed and whose hardware matches.
 * No key is needed to ask, so this is the path an attacker would try: every refusal is audited and
 * spends the failure budgets, and every key issued is recorded as an event.
 *
 * <p>A MAC address is public, so a credential may name its TPM's endorsement key: then only a request showing that EK
 * gets a key, and the key travels encrypted to that TPM ({@link EkBoundKey}, TPM2_MakeCredential), so even a request
 * that replays the genuine EK's public area gets nothing it can open.
 */
final class ApiKeyEndpoint implements Endpoint {
    private static final Pattern MAC = Pattern.compile(Patterns.MAC);
    private static final Pattern UUID = Pattern.compile(Patterns.UUID);
    private static final int MAX_MACS = 16;

    private final ApiKeyStore keys;
    private final EventRecorder events;
    private final SecureRandom random = new SecureRandom();

    ApiKeyEndpoint(ApiKeyStore keys, EventRecorder events) {
        this.keys = keys;
        this.events = events;
    }

    @Override
    public String method() {
        return "POST";
    }

    @Override
    public boolean authenticated() {
        return false;
    }

    @Override
    public Reply handle(NodeContext context) throws Refusal {
        ArmingRequest request = NodeApiJson.read(context.call().body(), ArmingRequest.class, "BadRequest");
        TpmKeys tpm = tpm(request.tpm());
        HardwareClaim claim = claim(request, tpm == null ? null : tpm.endorsementKey().fingerprint());
        ApiKeyStore.Issued issued;
        try {
            issued = keys.issueByNetwork(context.namespace(), context.credentialName(), claim);
        } catch (ApiKeyStore.HardwareMismatchException e) {
            throw new Refusal(403, "HardwareMismatch", e.getMessage());
        } catch (ApiKeyStore.EndorsementKeyMismatchException e) {
            throw new Refusal(403, "EndorsementKeyMismatch", e.getMessage());
        } catch (ApiKeyStore.NotArmedException e) {
            e.onceIssuedAt().ifPresent(at -> events.record(context.credential(), EventRecorder.Type.Warning, "PossibleKeyTheft",
                    "This once credential issued its key over the network at " + at + ", and a key was asked for again (request"
                            + " from " + context.call().source() + "): possible key theft. If the node did not lose its TPM key"
                            + " (its boots report keySource tpm), someone else may hold it: check the node and that source,"
                            + " then re-arm the credential, which issues a new key and revokes the old one."));
            throw new Refusal(403, "NotArmed", e.getMessage());
        }
        Arming mode = context.credential().getSpec().arming == null ? Arming.ONCE : context.credential().getSpec().arming;
        String after = issued.stillArmed() ? mode.name().toLowerCase(Locale.ROOT) : "disarmed";
        // The credential as it was when the key was issued decides, not the copy this request started with.
        boolean bound = issued.endorsementKey() != null;
        String replaced = issued.replacedUnused() == null ? "" : " It replaces the key issued at " + issued.replacedUnused()
                + ", which was never used: if the node did not fail before using it, someone may be replaying its TPM's"
                + " public key (they cannot open the key, but each request replaces the node's).";
        events.record(context.credential(), replaced.isEmpty() ? EventRecorder.Type.Normal : EventRecorder.Type.Warning,
                "ApiKeyIssued", "A new API key was issued over the network"
                + (bound ? ", encrypted to the TPM with endorsement key " + claim.endorsementKey() : "")
                + (issued.enrolled() ? " (enrolled: later keys go only to this TPM)" : "")
                + " (request from " + context.call().source() + ")" + (issued.stillArmed() ? "." : "; the credential is now disarmed.")
                + replaced);
        if (!bound) {
            return Reply.json(200, new ApiKeyIssued(issued.key(), after));
        }
        // The store issued only to a request showing the EK the credential names, so tpm is that TPM's.
        return Reply.json(200, new ApiKeyIssued(null, after, bind(tpm, issued.key(), context)));
    }

    /** The API key encrypted under a fresh 32-byte credential that only the node's TPM can activate. */
    private EkBoundKey bind(TpmKeys tpm, String apiKey, NodeContext context) {
        byte[] credential = new byte[EkBoundKey.CREDENTIAL_BYTES];
        random.nextBytes(credential);
        try {
            MakeCredential.Blob blob = MakeCredential.make(tpm.endorsementKey(), tpm.activationKey().name(), credential, random);
            return EkBoundKey.seal(blob.credentialBlob(), blob.encryptedSecret(), credential, apiKey, context.namespace(),
                    context.path().node(), random);
        } finally {
            Arrays.fill(credential, (byte) 0);
        }
    }

    record TpmKeys(EndorsementKey endorsementKey, ActivationKey activationKey) {}

    /** The TPM's keys, checked for size and form; null when the node showed no TPM. */
    static TpmKeys tpm(ArmingRequest.Tpm tpm) throws Refusal {
        if (tpm == null) {
            return null;
        }
        byte[] ek = publicArea(tpm.endorsementKey(), "tpm.endorsementKey");
        byte[] activation = publicArea(tpm.activationKey(), "tpm.activationKey");
        try {
            return new TpmKeys(EndorsementKey.parse(ek), ActivationKey.parse(activation));
        } catch (TpmException e) {
            throw Refusal.badRequest("BadRequest", e.getMessage());
        }
    }

    private static byte[] publicArea(String base64, String field) throws Refusal {
        if (base64 == null || base64.isEmpty() || base64.length() > ArmingRequest.Tpm.MAX_FIELD_CHARS) {
            throw Refusal.badRequest("BadRequest", field + " must be a TPM2B_PUBLIC in base64, at most "
                    + ArmingRequest.Tpm.MAX_FIELD_CHARS + " characters");
        }
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw Refusal.badRequest("BadRequest", field + " is not base64 (standard alphabet, padded)");
        }
    }

    static HardwareClaim claim(ArmingRequest request, String endorsementKey) throws Refusal {
        if (request.macs().size() > MAX_MACS) {
            throw Refusal.badRequest("BadRequest", "at most " + MAX_MACS + " MAC addresses");
        }
        var macs = new ArrayList<String>();
        for (String mac : request.macs()) {
            String lower = mac == null ? "" : mac.toLowerCase(Locale.ROOT);
            if (lower.length() > 17 || !MAC.matcher(lower).matches()) {
                throw Refusal.badRequest("BadRequest", "MAC addresses are six colon-separated hex pairs, e.g. 52:54:00:12:34:56");
            }
            macs.add(lower);
        }
        String uuid = request.smbiosUuid() == null ? null : request.smbiosUuid().toLowerCase(Locale.ROOT);
        if (uuid != null && (uuid.length() > 36 || !UUID.matcher(uuid).matches())) {
            throw Refusal.badRequest("BadRequest", "smbiosUuid must be a UUID as dmidecode prints it (8-4-4-4-12 hex digits)");
        }
        if (macs.isEmpty() && uuid == null) {
            throw Refusal.badRequest("BadRequest", "name the node's hardware: at least one MAC address or its SMBIOS UUID");
        }
        return new HardwareClaim(macs, uuid, endorsementKey);
    }
}
