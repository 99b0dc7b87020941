package dev.tether.agent.trust;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The SSH files of the new root, written at every boot into the overlay (so they land in the writable layer):
 * the host keys and their certificates in {@code /etc/ssh}, sshd told to use them, the cluster CA trusted
 * for host certificates in {@code ssh_known_hosts}, and root's authorised keys. Running it twice gives the
 * same files.
 */
final class NewRootSsh {
    static final String DROP_IN = "/etc/ssh/sshd_config.d/tether.conf";
    static final String SSHD_CONFIG = "/etc/ssh/sshd_config";
    static final String KNOWN_HOSTS = "/etc/ssh/ssh_known_hosts";
    /** Ends the {@code @cert-authority} line, so a later boot replaces it rather than adding another. */
    static final String CA_MARKER = "tether-cluster-ssh-ca";
    static final String BEGIN = "# BEGIN tether: host keys made at this boot, certified by the cluster's SSH CA";
    static final String END = "# END tether";
    /** Debian's and Ubuntu's sshd_config read drop-ins first, with this line at the top. */
    private static final Pattern INCLUDE = Pattern.compile("(?i)\\s*Include\\s+/etc/ssh/sshd_config\\.d/\\*\\.conf\\s*");
    private static final Pattern MATCH = Pattern.compile("(?i)\\s*Match\\s.*");
    /** A known_hosts host pattern: a name or dotted address with * and ? wildcards, no lists or negation. */
    private static final Pattern HOST_PATTERN = Pattern.compile("[A-Za-z0-9*?._-]{1,253}");
    private static final Pattern HOST_KEY_FILE = Pattern.compile("ssh_host_.*_key(\\.pub|-cert\\.pub)?");

    private final Path root;

    NewRootSsh(Path root) {
        this.root = root;
    }

    /**
     * Writes each key, its public line and its certificate; removes host keys the image brought along (the
     * same for every node that boots it, and in the image for anyone to read).
     */
    List<String> installHostKeys(List<HostKey> keys, List<String> certificates) throws IOException {
        Path etcSsh = RootFiles.in(root, "/etc/ssh");
        RootFiles.directory(etcSsh, "rwxr-xr-x");
        Set<String> ours = new LinkedHashSet<>();
        for (HostKey key : keys) {
            ours.add(key.fileName());
            ours.add(key.fileName() + ".pub");
            ours.add(key.fileName() + "-cert.pub");
        }
        List<String> removed = new ArrayList<>();
        try (Stream<Path> files = Files.list(etcSsh)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (HOST_KEY_FILE.matcher(name).matches() && !ours.contains(name)) {
                    Files.delete(file);
                    removed.add(name);
                }
            }
        }
        for (int i = 0; i < keys.size(); i++) {
            HostKey key = keys.get(i);
            RootFiles.create(etcSsh.resolve(key.fileName()), key.privateKeyFile(), "rw-------");
            RootFiles.create(etcSsh.resolve(key.fileName() + ".pub"), key.publicKeyLine() + "\n", "rw-r--r--");
            RootFiles.create(etcSsh.resolve(key.fileName() + "-cert.pub"), certificates.get(i) + "\n", "rw-r--r--");
        }
        return removed;
    }

    /**
     * Points sshd at the keys and certificates: a drop-in when the image's sshd_config includes
     * {@code sshd_config.d/*.conf} before any {@code Match}, else a marked block at the top of sshd_config
     * (at the end it could fall inside a {@code Match} block). Empty when the image has no sshd_config.
     */
    Optional<Path> configureSshd(List<HostKey> keys) throws IOException {
        Path config = RootFiles.in(root, SSHD_CONFIG);
        if (!Files.exists(config)) {
            return Optional.empty();
        }
        List<String> block = new ArrayList<>();
        for (HostKey key : keys) {
            block.add("HostKey /etc/ssh/" + key.fileName());
        }
        for (HostKey key : keys) {
            block.add("HostCertificate /etc/ssh/" + key.fileName() + "-cert.pub");
        }
        List<String> lines = Files.readAllLines(config);
        if (includesDropInsFirst(lines)) {
            Path dropIn = RootFiles.in(root, DROP_IN);
            RootFiles.directory(dropIn.getParent(), "rwxr-xr-x");
            RootFiles.write(dropIn, "# Written at every boot by the Tether agent: this boot's host keys and their"
                    + " certificates.\n" + String.join("\n", block) + "\n", "rw-r--r--");
            return Optional.of(dropIn);
        }
        List<String> rest = withoutOurBlock(lines);
        List<String> updated = new ArrayList<>();
        updated.add(BEGIN);
        updated.addAll(block);
        updated.add(END);
        updated.addAll(rest);
        RootFiles.replace(config, String.join("\n", updated) + "\n");
        return Optional.of(config);
    }

    /**
     * {@code @cert-authority <patterns> <CA key> tether-cluster-ssh-ca} in ssh_known_hosts, replacing an earlier one:
     * the CA is trusted only for the host patterns the operator's principal policy lets it certify.
     */
    void trustCertificateAuthority(String caPublicKey, List<String> hostPatterns) throws IOException, TrustException {
        String[] parts = caPublicKey.strip().split("\\s+");
        if (parts.length < 2 || !parts[1].matches("[A-Za-z0-9+/=]+") || !parts[0].matches("[a-z0-9@.-]+")) {
            throw new TrustException("the node API sent an SSH CA public key that is not an OpenSSH key line");
        }
        for (String pattern : hostPatterns) {
            // known_hosts wildcard patterns; a bare * (any host) or a negation is never what the policy publishes.
            if (!HOST_PATTERN.matcher(pattern).matches() || pattern.chars().allMatch(c -> c == '*' || c == '.')) {
                throw new TrustException("the node API sent the SSH CA host pattern '" + NodeApiRefusal.clean(pattern)
                        + "', which is not a known_hosts pattern for named hosts; check the operator's nodeApi.sshPrincipals");
            }
        }
        Path knownHosts = RootFiles.in(root, KNOWN_HOSTS);
        List<String> lines = Files.exists(knownHosts) ? new ArrayList<>(Files.readAllLines(knownHosts)) : new ArrayList<>();
        lines.removeIf(line -> line.startsWith("@cert-authority ") && line.endsWith(" " + CA_MARKER));
        lines.add("@cert-authority " + String.join(",", hostPatterns) + " " + parts[0] + " " + parts[1] + " " + CA_MARKER);
        RootFiles.write(knownHosts, String.join("\n", lines) + "\n", "rw-r--r--");
    }

    /** Adds the profile's keys to root's authorized_keys (those the image has stay); returns the file. */
    Path authorizeRootKeys(List<String> keys) throws IOException, TrustException {
        for (String key : keys) {
            if (key.isBlank() || key.chars().anyMatch(c -> c == '\n' || c == '\r' || c == 0)) {
                throw new TrustException("the boot configuration's authorized keys hold an entry that is not one line;"
                        + " check the NodeProfile's SSH authorized keys");
            }
        }
        Path home = RootFiles.in(root, rootHome());
        Path sshDir = home.resolve(".ssh");
        RootFiles.directory(home, "rwx------");
        RootFiles.directory(sshDir, "rwx------");
        Path file = sshDir.resolve("authorized_keys");
        LinkedHashSet<String> lines = new LinkedHashSet<>(Files.exists(file) ? Files.readAllLines(file) : List.of());
        for (String key : keys) {
            lines.add(key.strip());
        }
        RootFiles.write(file, String.join("\n", lines) + "\n", "rw-------");
        return file;
    }

    /** Root's home directory from the image's /etc/passwd; /root when it does not say. */
    private String rootHome() throws IOException {
        Path passwd = RootFiles.in(root, "/etc/passwd");
        if (Files.exists(passwd)) {
            for (String line : Files.readAllLines(passwd)) {
                String[] fields = line.split(":", -1);
                if (fields.length >= 7 && fields[0].equals("root") && fields[5].startsWith("/") && !fields[5].contains("..")) {
                    return fields[5];
                }
            }
        }
        return "/root";
    }

    private static boolean includesDropInsFirst(List<String> lines) {
        for (String line : lines) {
            if (MATCH.matcher(line).matches()) {
                return false;
            }
            if (INCLUDE.matcher(line).matches()) {
                return true;
            }
        }
        return false;
    }

    private static List<String> withoutOurBlock(List<String> lines) {
        List<String> rest = new ArrayList<>();
        boolean inside = false;
        for (String line : lines) {
            if (line.equals(BEGIN)) {
                inside = true;
            } else if (inside && line.equals(END)) {
                inside = false;
            } else if (!inside) {
                rest.add(line);
            }
        }
        return rest;
    }
}
