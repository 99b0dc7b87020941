package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.nodeapi.HostCertificates;
import dev.tether.nodeapi.HostKeys;
import dev.tether.operator.EventRecorder;
import dev.tether.operator.trust.HostKeySigner;
import dev.tether.operator.trust.PrincipalPolicy;
import dev.tether.units.GoDuration;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;

/**
 * {@code POST host-certificates}: signs the host keys a node generated at this boot as OpenSSH host
 * certificates for its name, FQDN, addresses and the profile's extra principals, as far as the operator's
 * {@link PrincipalPolicy} allows them for the node's namespace, valid for the profile's certificate validity.
 * What the policy leaves out is a Warning event on the credential; a certificate is never signed without a
 * principal (OpenSSH would take it for any host). Each certificate's serial is recorded in the credential's status
 * before the certificates are answered: none leaves the operator unrecorded ({@link CredentialStatusWrites}).
 */
final class HostCertificatesEndpoint implements Endpoint {
    /** The newest certificates kept in status; older serials are in the events and the nodes' own files. */
    static final int STATUS_HISTORY = 12;
    private static final int MAX_KEY_LINE = 8192;
    private static final Set<String> KEY_TYPES = Set.of("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
            "ecdsa-sha2-nistp521", "ssh-rsa");
    /** Nodes' clocks may run a little behind the operator's just after boot. */
    private static final Duration BACKDATE = Duration.ofMinutes(5);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final CredentialStatusWrites statuses;
    private final ProfileReader profiles;
    private final HostKeySigner signer;
    private final PrincipalPolicy policy;
    private final EventRecorder events;
    private final Clock clock;

    HostCertificatesEndpoint(KubernetesClient client, ProfileReader profiles, HostKeySigner signer, PrincipalPolicy policy,
                             EventRecorder events, Clock clock) {
        this.statuses = new CredentialStatusWrites(client);
        this.profiles = profiles;
        this.signer = signer;
        this.policy = policy;
        this.events = events;
        this.clock = clock;
    }

    @Override
    public String method() {
        return "POST";
    }

    @Override
    public Reply handle(NodeContext context) throws Refusal {
        HostKeys request = NodeApiJson.read(context.call().body(), HostKeys.class, "BadPublicKey");
        List<PublicKey> keys = parse(request.publicKeys());
        var profile = profiles.profile(context.credential());
        var ssh = profile.getSpec().ssh == null ? new NodeProfileSpec.Ssh() : profile.getSpec().ssh;
        List<String> principals = principals(context, ssh);
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant validAfter = now.minus(BACKDATE);
        Instant validBefore = now.plus(GoDuration.parse(ssh.certificateValidity == null ? "720h" : ssh.certificateValidity));
        String id = "tether:" + context.namespace() + "/" + context.credential().getSpec().nodeName;

        var lines = new ArrayList<String>();
        var issued = new ArrayList<NodeCredentialStatus.HostCertificate>();
        for (PublicKey key : keys) {
            long serial = RANDOM.nextLong() & Long.MAX_VALUE | 1L;
            var certificate = signer.sign(key, serial, id, principals, validAfter, validBefore);
            lines.add(certificate.line());
            var entry = new NodeCredentialStatus.HostCertificate();
            entry.serial = serial;
            entry.keyType = KeyUtils.getKeyType(key);
            entry.principals = principals;
            entry.validAfter = validAfter.toString();
            entry.validBefore = validBefore.toString();
            issued.add(entry);
        }
        record(context, issued);
        return Reply.json(200, new HostCertificates(lines, signer.caPublicKey(), principals, validBefore.toString(),
                policy.knownHostsPatterns()));
    }

    private List<String> principals(NodeContext context, NodeProfileSpec.Ssh ssh) throws Refusal {
        var node = context.credential().getSpec();
        var decision = policy.decide(context.namespace(), node.nodeName, node.fqdn, node.addresses, ssh.extraPrincipals);
        if (!decision.refused().isEmpty()) {
            events.record(context.credential(), EventRecorder.Type.Warning, "PrincipalsRefused", "Left out of the host certificate: "
                    + String.join("; ", decision.refused()) + ". Clients trust the SSH CA only for what the operator's principal"
                    + " policy (chart value nodeApi.sshPrincipals) allows; change the NodeCredential or NodeProfile, or ask the"
                    + " administrator to grant the name to this namespace.");
        }
        if (decision.principals().isEmpty()) {
            throw new Refusal(403, "NoAllowedPrincipals", "the operator's SSH principal policy lets namespace " + context.namespace()
                    + " have no host name certified; an administrator must set nodeApi.sshPrincipals.domain or grant this"
                    + " namespace a domain in nodeApi.sshPrincipals.namespaces");
        }
        return decision.principals();
    }

    private static List<PublicKey> parse(List<String> lines) throws Refusal {
        if (lines.isEmpty() || lines.size() > HostKeys.MAX_KEYS) {
            throw Refusal.badRequest("BadPublicKey", "send 1 to " + HostKeys.MAX_KEYS + " host public keys");
        }
        var keys = new ArrayList<PublicKey>();
        var types = new LinkedHashSet<String>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String which = "public key " + (i + 1);
            if (line == null || line.length() > MAX_KEY_LINE) {
                throw Refusal.badRequest("BadPublicKey", which + " is missing or longer than " + MAX_KEY_LINE + " characters");
            }
            PublicKey key;
            try {
                key = PublicKeyEntry.parsePublicKeyEntry(line.strip()).resolvePublicKey(null, Map.of(), PublicKeyEntryResolver.FAILING);
            } catch (Exception e) {
                throw Refusal.badRequest("BadPublicKey", which + " is not an OpenSSH public key line ('ssh-ed25519 AAAA...')");
            }
            String type = key == null ? null : KeyUtils.getKeyType(key);
            if (type == null || !KEY_TYPES.contains(type)) {
                throw Refusal.badRequest("BadPublicKey", which + " has type " + type + "; host keys may be ed25519, ecdsa or rsa");
            }
            if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < 2048) {
                throw Refusal.badRequest("BadPublicKey", which + " is an RSA key of " + rsa.getModulus().bitLength()
                        + " bits; at least 2048 are needed");
            }
            if (!types.add(type)) {
                throw Refusal.badRequest("BadPublicKey", "two keys of type " + type + "; send one host key per type");
            }
            keys.add(key);
        }
        return keys;
    }

    private void record(NodeContext context, List<NodeCredentialStatus.HostCertificate> issued) {
        statuses.update(context.credential(), status -> {
            var history = new ArrayList<>(issued);
            history.addAll(status.hostCertificates);
            status.hostCertificates = new ArrayList<>(history.subList(0, Math.min(STATUS_HISTORY, history.size())));
        });
    }
}
