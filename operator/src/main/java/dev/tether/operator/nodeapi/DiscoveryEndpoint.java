package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.DiscoveredNodeSpec;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.Patterns;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.DiscoveryAnswer;
import dev.tether.nodeapi.DiscoveryRequest;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.credential.CredentialsByNodeName;
import dev.tether.operator.credential.HardwareClaim;
import dev.tether.operator.discovery.Registrations;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code POST /v1/namespaces/<namespace>/profiles/<profile>/discovery}: a machine no NodeCredential knows says what
 * it is, and hears whether it is enrolled yet. Anyone on the boot network can call this, so: every call spends from
 * its address's and the profile's budgets before anything is read; only a profile whose {@code spec.discovery}
 * is enabled, and only boot MACs under its prefixes, are recorded; a registration can never touch a NodeCredential
 * (a MAC that one lists is answered "enrolled" and nothing is written); and what is recorded is bounded per profile
 * ({@link Registrations}).
 */
final class DiscoveryEndpoint {
    private static final Pattern LABEL = Pattern.compile(Patterns.DNS_LABEL);
    private static final Pattern SUBDOMAIN = Pattern.compile(Patterns.DNS_SUBDOMAIN);
    private static final Pattern PRINTABLE = Pattern.compile("[\\x20-\\x7e]*");

    /** Where the machine registers. */
    record DiscoveryPath(String namespace, String profile) {
        /** The path, when it is a discovery path at all; a discovery path that is malformed is refused. */
        static Optional<DiscoveryPath> parse(String rawPath) throws Refusal {
            String[] parts = rawPath.split("/", -1);
            if (parts.length != 7 || !parts[1].equals(NodeApi.VERSION) || !parts[4].equals("profiles")) {
                return Optional.empty();
            }
            if (!parts[0].isEmpty() || !parts[2].equals("namespaces") || !parts[6].equals(NodeApi.DISCOVERY)) {
                throw new Refusal(404, "NotFound", "no such path: machines register at /" + NodeApi.VERSION
                        + "/namespaces/<namespace>/profiles/<profile>/" + NodeApi.DISCOVERY);
            }
            if (parts[3].length() > 63 || !LABEL.matcher(parts[3]).matches() || parts[5].length() > 253
                    || !SUBDOMAIN.matcher(parts[5]).matches()) {
                throw Refusal.badRequest("BadPath", "the namespace must be a DNS label and the profile a DNS subdomain");
            }
            return Optional.of(new DiscoveryPath(parts[3], parts[5]));
        }

        @Override
        public String toString() {
            return namespace + "/" + profile + " " + NodeApi.DISCOVERY;
        }
    }

    private final KubernetesClient client;
    private final CredentialsByNodeName credentials;
    private final Registrations registrations;
    private final FailureLimiter limiter;
    private final Set<String> watchNamespaces;

    DiscoveryEndpoint(KubernetesClient client, CredentialsByNodeName credentials, Registrations registrations,
            FailureLimiter limiter, Set<String> watchNamespaces) {
        this.client = client;
        this.credentials = credentials;
        this.registrations = registrations;
        this.limiter = limiter;
        this.watchNamespaces = watchNamespaces;
    }

    Reply handle(DiscoveryPath path, NodeCall call) throws Refusal {
        if (!call.method().equals("POST")) {
            throw new Refusal(405, "MethodNotAllowed", NodeApi.DISCOVERY + " takes POST, not " + call.method());
        }
        String profileKey = path.namespace() + "/" + path.profile();
        if (!limiter.admitDiscovery(call.source(), profileKey)) {
            long wait = limiter.discoveryRetryAfterSeconds(call.source(), profileKey);
            throw Refusal.rateLimited("too many registrations from this address or for this profile; try again in " + wait + " s", wait);
        }
        DiscoveryRequest request = NodeApiJson.read(call.body(), DiscoveryRequest.class, "BadRequest");
        DiscoveredNodeSpec.Hardware hardware = hardware(request);
        NodeProfile profile = watchNamespaces.isEmpty() || watchNamespaces.contains(path.namespace())
                ? client.resources(NodeProfile.class).inNamespace(path.namespace()).withName(path.profile()).get() : null;
        if (profile == null || profile.getSpec().discovery == null || !Boolean.TRUE.equals(profile.getSpec().discovery.enabled)) {
            throw new Refusal(403, "DiscoveryClosed", "NodeProfile " + profileKey + " does not take registrations of unknown machines"
                    + " (spec.discovery.enabled); an administrator must create a NodeCredential for this machine");
        }
        String bootMac = hardware.macs.getFirst();
        var prefixes = profile.getSpec().discovery.macPrefixes;
        if (prefixes != null && !prefixes.isEmpty() && prefixes.stream().noneMatch(bootMac::startsWith)) {
            throw new Refusal(403, "NotDiscoverable", "NodeProfile " + profileKey + " takes registrations only from MACs starting "
                    + String.join(", ", prefixes) + ", not " + bootMac);
        }
        // Enrolled already (an administrator's credential, or the one enrolment made): nothing to record.
        for (String mac : hardware.macs) {
            for (NodeCredential credential : credentials.findByMac(path.namespace(), mac)) {
                return Reply.json(200, new DiscoveryAnswer(DiscoveryAnswer.State.ENROLLED, credential.getSpec().nodeName,
                        "this machine is node " + credential.getSpec().nodeName + "; reboot to boot as it"));
            }
        }
        var recorded = registrations.record(profile, hardware);
        String name = recorded.node().getMetadata().getName();
        String message = switch (recorded.outcome()) {
            case CONFLICT -> "DiscoveredNode " + name + " records other hardware under this MAC; an administrator must look at it"
                    + " (kubectl describe discoverednode -n " + path.namespace() + " " + name + ")";
            case NEW, SEEN -> Boolean.TRUE.equals(recorded.node().getSpec().accept)
                    ? "accepted as DiscoveredNode " + name + "; enrolling it"
                    : "registered as DiscoveredNode " + name + "; waiting for an administrator to accept it (kubectl patch"
                            + " discoverednode -n " + path.namespace() + " " + name + " --type merge -p '{\"spec\":{\"accept\":true}}')";
        };
        return Reply.json(202, new DiscoveryAnswer(DiscoveryAnswer.State.PENDING, name, message));
    }

    /** What the machine reported, checked for form and size: the boot MAC first, and the TPM as its EK's fingerprint. */
    static DiscoveredNodeSpec.Hardware hardware(DiscoveryRequest request) throws Refusal {
        if (request.macs().isEmpty()) {
            throw Refusal.badRequest("BadRequest", "name the MAC address the machine booted with (first) and its others");
        }
        HardwareClaim claim = ApiKeyEndpoint.claim(new ArmingRequest(request.macs(), request.smbiosUuid()), null);
        if (Set.copyOf(claim.macs()).size() != claim.macs().size()) {
            throw Refusal.badRequest("BadRequest", "MAC addresses must be unique");
        }
        var hardware = new DiscoveredNodeSpec.Hardware();
        hardware.macs = claim.macs();
        hardware.smbiosUuid = claim.smbiosUuid();
        hardware.serial = text(request.serial(), "serial");
        hardware.product = text(request.product(), "product");
        hardware.endorsementKey = request.tpm() == null ? null : ApiKeyEndpoint.tpm(request.tpm()).endorsementKey().fingerprint();
        return hardware;
    }

    private static String text(String value, String field) throws Refusal {
        if (value == null) {
            return null;
        }
        if (value.length() > DiscoveryRequest.MAX_TEXT_CHARS || !PRINTABLE.matcher(value).matches()) {
            throw Refusal.badRequest("BadRequest", field + " must be printable ASCII, at most " + DiscoveryRequest.MAX_TEXT_CHARS
                    + " characters");
        }
        String stripped = value.strip();
        return stripped.isEmpty() ? null : stripped;
    }
}
