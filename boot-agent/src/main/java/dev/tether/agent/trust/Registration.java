package dev.tether.agent.trust;

import dev.tether.agent.AgentConsole;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.DiscoveryAnswer;
import dev.tether.nodeapi.DiscoveryRequest;
import dev.tether.tpm.SealedSecretStore;
import dev.tether.tpm.TpmException;
import dev.tether.tpm.TpmIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * An unknown machine's side of discovery (issue 20): it tells the profile's node API what it is (its MACs, the one
 * it booted with first; SMBIOS UUID, serial and product; its TPM's public keys) and asks again every
 * {@code interval} until an administrator, or the profile's policy, has enrolled it. The request carries nothing
 * secret; what comes back is only "pending" or "enrolled as n". The machine then reboots, and the edge's script boots
 * it as the node it now is, fetching its key the normal way: bound to the TPM it reported here.
 */
public final class Registration {
    /** How often a waiting machine asks again: often enough that acceptance is seen soon, rarely enough to stay in budget. */
    public static final Duration INTERVAL = Duration.ofSeconds(15);

    private final NodeApiClient api;
    private final String profile;
    private final TpmAccess tpm;
    private final Path sysfs;
    private final AgentConsole console;
    private final NodeApiClient.Sleeper sleeper;
    private final Duration interval;

    public Registration(NodeApiClient api, String profile, TpmAccess tpm, Path sysfs, AgentConsole console,
            NodeApiClient.Sleeper sleeper, Duration interval) {
        this.api = api;
        this.profile = profile;
        this.tpm = tpm;
        this.sysfs = sysfs;
        this.console = console;
        this.sleeper = sleeper;
        this.interval = interval;
    }

    /**
     * Registers, then waits, until enrolled. A node API that cannot be reached is asked again every {@code interval}, as
     * long as it takes; a refusal (the profile takes no registration from this machine) ends the wait.
     *
     * @param bootMac the MAC the machine booted with ({@code tether.discover=}), named first
     * @return the node name the machine was enrolled as
     * @throws NodeApiRefusal when the profile takes no registration from this machine (closed, or not its prefixes)
     */
    public String untilEnrolled(String bootMac) throws IOException, NodeApiRefusal, InterruptedException {
        DiscoveryRequest request = request(bootMac);
        console.info("this machine is unknown: registering it with profile " + profile + " (" + String.join(", ", request.macs())
                + (request.tpm() == null ? "; no TPM" : "; with its TPM") + ")");
        String said = null;
        while (true) {
            DiscoveryAnswer answer;
            try {
                answer = api.register(profile, request);
            } catch (IOException unreachable) {
                // A machine waiting to be enrolled outlasts an operator restart or an edge going away: it keeps asking.
                console.warn("cannot register this machine now (" + unreachable.getMessage() + "); asking again in "
                        + interval.toSeconds() + " s");
                sleeper.sleep(interval);
                continue;
            }
            if (answer.state() == DiscoveryAnswer.State.ENROLLED) {
                console.info("enrolled as node " + answer.name() + "; rebooting to boot as it");
                return answer.name();
            }
            // Said once, and again when it changes: a console that waits for an administrator stays readable.
            if (!answer.message().equals(said)) {
                console.info(answer.message());
                said = answer.message();
            }
            sleeper.sleep(interval);
        }
    }

    /** What this machine reports: its MACs (the boot MAC first), SMBIOS identity, and its TPM's public keys if it has one. */
    DiscoveryRequest request(String bootMac) {
        HardwareIdentity identity = HardwareIdentity.read(sysfs);
        List<String> macs = new ArrayList<>();
        macs.add(bootMac);
        identity.macs().stream().filter(mac -> !mac.equals(bootMac)).forEach(macs::add);
        return new DiscoveryRequest(macs, identity.smbiosUuid().orElse(null), dmi("product_serial"),
                join(dmi("sys_vendor"), dmi("product_name")), tpmPublic());
    }

    private ArmingRequest.Tpm tpmPublic() {
        try {
            Optional<SealedSecretStore> store = tpm.open();
            if (store.isEmpty()) {
                return null;
            }
            try (SealedSecretStore open = store.get(); TpmIdentity identity = open.identity().orElse(null)) {
                if (identity == null) {
                    return null;
                }
                console.info("this machine's TPM endorsement key is " + identity.endorsementKey().fingerprint());
                Base64.Encoder b64 = Base64.getEncoder();
                return new ArmingRequest.Tpm(b64.encodeToString(identity.endorsementKey().tpm2bPublic()),
                        b64.encodeToString(identity.activationKey().tpm2bPublic()));
            }
        } catch (TpmException e) {
            console.warn("cannot read the TPM's endorsement key (" + e.getMessage() + "); registering without it, so an"
                    + " administrator must accept this machine by hand");
            return null;
        }
    }

    /** An SMBIOS string from sysfs, or null: printable ASCII, bounded, as the node API takes it. */
    private String dmi(String field) {
        try {
            String value = Files.readString(sysfs.resolve("class/dmi/id").resolve(field)).strip();
            if (value.isEmpty() || !value.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                return null;
            }
            return value.length() > DiscoveryRequest.MAX_TEXT_CHARS ? value.substring(0, DiscoveryRequest.MAX_TEXT_CHARS) : value;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String join(String vendor, String product) {
        if (vendor == null) {
            return product;
        }
        String both = product == null ? vendor : vendor + " " + product;
        return both.length() > DiscoveryRequest.MAX_TEXT_CHARS ? both.substring(0, DiscoveryRequest.MAX_TEXT_CHARS) : both;
    }
}
