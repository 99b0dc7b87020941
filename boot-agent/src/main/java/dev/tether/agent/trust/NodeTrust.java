package dev.tether.agent.trust;

import dev.tether.agent.AgentConsole;
import dev.tether.agent.BootStep;
import dev.tether.agent.ImageKeyProvider;
import dev.tether.nodeapi.BootConfiguration;
import dev.tether.nodeapi.PersistenceKey;
import dev.tether.nodeapi.BootFiles;
import dev.tether.nodeapi.BootReport;
import dev.tether.nodeapi.NodeApi;
import dev.tether.nodeapi.HostCertificates;
import dev.tether.nodeapi.HostKeys;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * The node's side of trust for one boot (issue #6): the API key (TPM or network, then PCR 15 locked), the
 * boot configuration, the image key, the SSH host keys and their certificates, the root password, and the
 * boot report, all through the node API. The boot sequence calls one method per step.
 */
public final class NodeTrust {
    /** {@code NodeCredential.REARM_ANNOTATION} in the crds module (not a dependency of the agent). */
    static final String REARM_ANNOTATION = "tether.dev/rearm";

    private final NodeApiClient api;
    private final AgentConsole console;
    private final ApiKey key;
    private final KeySource source;
    private final NodeApiCa enrolledCa;
    private Optional<BootConfiguration> configuration;
    /** The host keys, made while the image mounts (started with the boot configuration), and for which one. */
    private CompletableFuture<List<HostKey>> hostKeys;
    private BootConfiguration hostKeysFor;

    private NodeTrust(AgentConsole console, ApiKeyAcquisition.Result acquired) {
        this.api = acquired.api();
        this.console = console;
        this.key = acquired.key();
        this.source = acquired.source();
        this.enrolledCa = acquired.enrolledCa();
        this.configuration = acquired.bootConfiguration();
    }

    /**
     * Step {@code apikey}: gets the key as the TPM policy says, and locks the TPM before returning. Every later
     * call goes only to servers of the node API CA that the key belongs to.
     */
    public static NodeTrust start(NodeApiClient api, NodeApiCa ca, TpmPolicy policy, TpmAccess tpm,
            Supplier<HardwareIdentity> hardware, AgentConsole console) throws TrustException, IOException {
        ApiKeyAcquisition.Result acquired = new ApiKeyAcquisition(api, ca, tpm, hardware, console).acquire(policy);
        return new NodeTrust(console, acquired);
    }

    /** The node API client, pinned to the CA the key was enrolled through. */
    public NodeApiClient api() {
        return api;
    }

    /** The one CA certificate the key was enrolled through, which every later call trusts alone. */
    public NodeApiCa enrolledCa() {
        return enrolledCa;
    }

    /**
     * The node's persistence key and this boot's token (docs/persistence.md), or empty, said on the console, when the
     * node API gives none: then nothing is restored and nothing saved this boot.
     */
    public Optional<PersistenceKey> persistenceKey() {
        try {
            return Optional.of(api.persistenceKey(key));
        } catch (NodeApiRefusal refusal) {
            console.warn("persistence: the node API gives no persistence key (" + refusal.getMessage() + "); nothing is"
                    + " restored or saved this boot");
        } catch (IOException e) {
            console.warn("persistence: no persistence key (" + e.getMessage() + "); nothing is restored or saved this boot");
        }
        return Optional.empty();
    }

    public KeySource keySource() {
        return source;
    }

    /** Step {@code bootconfig}: the node's boot configuration (fetched already when a sealed key was checked). */
    public BootConfiguration bootConfiguration(TpmPolicy addonPolicy) throws TrustException, IOException {
        if (configuration.isEmpty()) {
            try {
                configuration = Optional.of(api.bootConfiguration(key));
            } catch (NodeApiRefusal refusal) {
                throw new TrustException(refusalLine(refusal, api), refusal);
            }
        }
        BootConfiguration config = configuration.get();
        if (config.namespace() != null && !config.namespace().equals(api.namespace())
                || config.nodeName() != null && !config.nodeName().equals(api.node())) {
            throw new TrustException("the node API sent the boot configuration of " + NodeApiRefusal.clean(config.namespace())
                    + "/" + NodeApiRefusal.clean(config.nodeName()) + " when " + api.credential() + " asked; the node API"
                    + " behind the edges is not this cluster's");
        }
        if (config.tpmPolicy() != null && !config.tpmPolicy().equals(addonPolicy.value())) {
            console.warn("the profile's tpmPolicy is now " + NodeApiRefusal.clean(config.tpmPolicy()) + " but the addon"
                    + " archive said " + addonPolicy.value() + " (this boot followed the addon archive); the edges serve"
                    + " an outdated addon archive");
        }
        startHostKeys(config);
        return config;
    }

    /**
     * Makes the host keys the configuration asks for on a thread of their own: key generation in a JVM just
     * started is slow (seconds under emulation, more for RSA), and nothing needs the keys before step ssh.
     */
    private void startHostKeys(BootConfiguration config) {
        BootConfiguration.Ssh ssh = config.ssh() == null ? new BootConfiguration.Ssh(null, null, null) : config.ssh();
        String comment = config.nodeName() == null ? api.node() : config.nodeName();
        CompletableFuture<List<HostKey>> future = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("host-keys").start(() -> {
            try {
                future.complete(generate(ssh.hostKeyTypes(), comment));
            } catch (TrustException | RuntimeException e) {
                future.completeExceptionally(e);
            }
        });
        hostKeys = future;
        hostKeysFor = config;
    }

    private List<HostKey> hostKeys(BootConfiguration config) throws TrustException {
        if (hostKeys == null || hostKeysFor != config) {
            startHostKeys(config);
        }
        CompletableFuture<List<HostKey>> made = hostKeys;
        hostKeys = null;
        try {
            return made.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof TrustException refused) {
                throw refused;
            }
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** Step {@code key}'s provider: the image key from the node API. */
    public ImageKeyProvider imageKeys() {
        return new NodeApiImageKeys(api, key);
    }

    /**
     * Step {@code ssh}: fresh host keys (ed25519, plus the types the profile asks for), certified by the node
     * API; sshd configured for them; the cluster CA trusted; root's authorised keys and password set.
     */
    public void installSsh(Path root, BootConfiguration config) throws TrustException, IOException {
        BootConfiguration.Ssh ssh = config.ssh() == null ? new BootConfiguration.Ssh(null, null, null) : config.ssh();
        List<HostKey> keys = hostKeys(config);
        HostCertificates certificates;
        try {
            certificates = api.signHostKeys(key, new HostKeys(keys.stream().map(HostKey::publicKeyLine).toList()));
        } catch (NodeApiRefusal refusal) {
            throw new TrustException(refusalLine(refusal, api), refusal);
        }
        List<String> lines = checkCertificates(keys, certificates);
        NewRootSsh files = new NewRootSsh(root);
        List<String> removed = files.installHostKeys(keys, lines);
        if (!removed.isEmpty()) {
            console.info("removed the image's own SSH host key files " + String.join(", ", removed)
                    + " (every node booting the image would share them)");
        }
        Optional<Path> sshdConfig = files.configureSshd(keys);
        String ca = certificates.caPublicKey() != null ? certificates.caPublicKey() : ssh.caPublicKey();
        List<String> hostPatterns = certificates.knownHostsPatterns() == null ? List.of() : certificates.knownHostsPatterns();
        if (ca != null && hostPatterns.isEmpty()) {
            // An operator that does not say which hosts its CA certifies: trusting it for every host name would let
            // whoever writes a NodeProfile vouch for any host (issue #13), so this node does not trust it at all.
            console.warn("the node API named no host patterns for its SSH CA (an older operator?); the CA is not"
                    + " trusted in /etc/ssh/ssh_known_hosts");
            ca = null;
        }
        if (ca != null) {
            files.trustCertificateAuthority(ca, hostPatterns);
        }
        if (ssh.authorizedKeys() != null && !ssh.authorizedKeys().isEmpty()) {
            files.authorizeRootKeys(ssh.authorizedKeys());
        }
        if (config.rootPasswordHash() != null) {
            ShadowFile.setRootHash(root, config.rootPasswordHash());
        }
        console.info("SSH host keys " + String.join(", ", keys.stream().map(HostKey::type).toList())
                + " made and certified" + (certificates.validBefore() == null ? "" : " until "
                        + NodeApiRefusal.clean(certificates.validBefore()))
                + sshdConfig.map(p -> "; sshd configured in " + root.relativize(p)).orElse(
                        "; the image has no /etc/ssh/sshd_config, so sshd is not configured")
                + (ca == null ? "; no SSH CA to trust" : "")
                + (config.rootPasswordHash() == null ? "" : "; root password set"));
    }

    /**
     * Step {@code report}: the boot's timings and the image fetch counts to the operator. A failure is logged,
     * never fatal.
     *
     * @param fetch  the root image fetcher's counts, or null when the image was not read from edges
     * @param memory what the agent costs the node as it stays to serve a tethered root, or null when it does not stay
     */
    public void report(List<BootStep> steps, String digest, String method, BootReport.Fetch fetch,
            BootReport.AgentMemory memory) {
        Map<String, Long> phases = new LinkedHashMap<>();
        for (BootStep step : steps) {
            if (phases.size() < BootReport.MAX_PHASES) {
                phases.merge(step.name(), step.millis(), Long::sum);
            }
        }
        try {
            api.report(key, new BootReport(digest, method, source.value(), phases, fetch, memory));
        } catch (NodeApiRefusal | IOException e) {
            console.warn("the boot report was not delivered (" + e.getMessage() + "); the node boots on");
        }
    }

    /**
     * The files the boot read from the image {@code digest}, in first-read order, to the operator, which keeps the
     * first list per image for its next pack. A failure is logged, never fatal: the node runs on without it.
     */
    public void reportBootFiles(String digest, List<String> paths) {
        BootFiles files = BootFiles.of(digest, paths, NodeApi.MAX_BODY_BYTES);
        try {
            api.bootFiles(key, files);
            console.info("reported the " + files.files().size() + " files this boot read" + (files.truncated()
                    ? " (the first " + files.files().size() + " of " + paths.size() + ": the rest do not fit the node API)"
                    : ""));
        } catch (NodeApiRefusal | IOException e) {
            console.warn("the boot's file list was not delivered (" + e.getMessage() + ")");
        }
    }

    private static List<HostKey> generate(List<String> asked, String comment) throws TrustException {
        List<String> types = new ArrayList<>(List.of("ed25519"));
        for (String type : asked == null ? List.<String>of() : asked) {
            String name = type.toLowerCase(Locale.ROOT).strip();
            if (!HostKey.known(name)) {
                throw new TrustException("the profile asks for SSH host key type '" + NodeApiRefusal.clean(type)
                        + "'; the agent makes " + String.join(", ", HostKey.TYPES));
            }
            if (!types.contains(name)) {
                types.add(name);
            }
        }
        SecureRandom random = new SecureRandom();
        List<HostKey> keys = new ArrayList<>();
        for (String type : HostKey.TYPES) {
            if (types.contains(type)) {
                keys.add(HostKey.generate(type, random, "root@" + comment));
            }
        }
        return keys;
    }

    private static List<String> checkCertificates(List<HostKey> keys, HostCertificates answer) throws IOException {
        List<String> certificates = answer.certificates() == null ? List.of() : answer.certificates();
        if (certificates.size() != keys.size()) {
            throw new IOException("the node API returned " + certificates.size() + " host certificates for "
                    + keys.size() + " host keys");
        }
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            String line = certificates.get(i) == null ? "" : certificates.get(i).strip();
            String[] parts = line.split("\\s+");
            if (parts.length < 2 || !parts[0].equals(keys.get(i).certificateAlgorithm())
                    || !parts[1].matches("[A-Za-z0-9+/=]+") || line.contains("\n")) {
                throw new IOException("the node API's host certificate " + (i + 1) + " is not an OpenSSH "
                        + keys.get(i).certificateAlgorithm() + " certificate");
            }
            lines.add(line);
        }
        return lines;
    }

    /** One line for a refusal of a request made with the key: what it means and what to do. */
    static String refusalLine(NodeApiRefusal refusal, NodeApiClient api) {
        return switch (refusal.code()) {
            case "BadCredentials" -> "the node API does not accept the API key of " + api.credential() + " (its key was"
                    + " issued again, or the credential was recreated); re-arm it with `kubectl annotate -n "
                    + api.namespace() + " nodecredential " + api.node() + " " + REARM_ANNOTATION
                    + "=\"$(date +%s)\" --overwrite` and reboot the node" + refusal.serverSuffix();
            default -> refusal.getMessage() + " for " + api.credential();
        };
    }
}
