package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.api.v1alpha1.Patterns;
import dev.tether.nodeapi.ApiKeyIssued;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.operator.EventRecorder;
import dev.tether.operator.credential.ApiKeyStore;
import dev.tether.operator.credential.HardwareClaim;
import java.util.ArrayList;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * {@code POST api-key}: a new API key for a node whose credential is armed and whose hardware matches.
 * No key is needed to ask, so this is the path an attacker would try: every refusal is audited and
 * spends the failure budgets, and every key issued is recorded as an event.
 */
final class ApiKeyEndpoint implements Endpoint {
    private static final Pattern MAC = Pattern.compile(Patterns.MAC);
    private static final Pattern UUID = Pattern.compile(Patterns.UUID);
    private static final int MAX_MACS = 16;

    private final ApiKeyStore keys;
    private final EventRecorder events;

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
        HardwareClaim claim = claim(NodeApiJson.read(context.call().body(), ArmingRequest.class, "BadRequest"));
        ApiKeyStore.Issued issued;
        try {
            issued = keys.issueByNetwork(context.namespace(), context.credentialName(), claim);
        } catch (ApiKeyStore.HardwareMismatchException e) {
            throw new Refusal(403, "HardwareMismatch", e.getMessage());
        } catch (ApiKeyStore.NotArmedException e) {
            throw new Refusal(403, "NotArmed", e.getMessage());
        }
        events.record(context.credential(), EventRecorder.Type.Normal, "ApiKeyIssued", "A new API key was issued over the network"
                + " (request from " + context.call().source() + ")" + (issued.stillArmed() ? "." : "; the credential is now disarmed."));
        Arming mode = context.credential().getSpec().arming == null ? Arming.ONCE : context.credential().getSpec().arming;
        String after = issued.stillArmed() ? mode.name().toLowerCase(Locale.ROOT) : "disarmed";
        return Reply.json(200, new ApiKeyIssued(issued.key(), after));
    }

    static HardwareClaim claim(ArmingRequest request) throws Refusal {
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
        return new HardwareClaim(macs, uuid);
    }
}
