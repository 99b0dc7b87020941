package dev.tether.agent.identity;

import dev.tether.agent.AgentConsole;
import dev.tether.nodeapi.NodeFileRules;
import dev.tether.nodeapi.NodeIdentity;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Makes the new root the node it boots as: its profile's node files, then its host name in {@code /etc/hostname}
 * and the {@code 127.0.1.1} line of {@code /etc/hosts} (as Debian's installer writes it). The image's init sets the
 * kernel's host name from {@code /etc/hostname} (systemd before any unit starts; sysvinit's hostname.sh), so the
 * agent leaves the kernel's alone. Into the overlay, so into the writable layer: the image is never changed.
 *
 * <p>The list comes from the node API, but the agent judges it again by {@link NodeFileRules}: a node file that
 * breaks them, or an owner the image does not know, and the node boots with none of the files (as the operator
 * would have sent them), saying so on the console. A failure here never stops the boot.
 */
public final class NodeIdentityWriter {
    private static final Pattern HOSTNAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*");
    private static final int MAX_HOSTNAME = 64;
    private static final int MAX_FQDN = 253;
    private static final String LOOPBACK_NAME_ADDRESS = "127.0.1.1";

    private final NoFollowRoot root;
    private final AgentConsole console;

    public NodeIdentityWriter(Path root, AgentConsole console) {
        this.root = new NoFollowRoot(root);
        this.console = console;
    }

    /** Applies {@code identity}; null (an operator that sends none) leaves the image's host name and files. */
    public void apply(NodeIdentity identity) {
        if (identity == null) {
            return;
        }
        if (identity.filesProblem() != null) {
            console.warn("the node API sent none of the profile's node files: " + NodeFileRules.printable(identity.filesProblem())
                    + " (see the NodeProfile's NodeIdentityRendered condition)");
        }
        writeFiles(identity.files() == null ? List.of() : identity.files());
        if (identity.hostname() != null) {
            writeHostname(identity.hostname(), identity.fqdn());
        }
    }

    private void writeFiles(List<NodeIdentity.NodeFile> files) {
        if (files.isEmpty()) {
            return;
        }
        Optional<String> refused = NodeFileRules.checkAll(files);
        if (refused.isPresent()) {
            console.warn("none of the " + files.size() + " node files written: " + refused.get());
            return;
        }
        List<Planned> planned = new ArrayList<>();
        try {
            // Only a name needs the image's accounts; reading them is a fetch from the edges when tethered.
            boolean byName = files.stream().anyMatch(f -> f.owner() != null && !f.owner().matches("[0-9]+:[0-9]+"));
            ImageAccounts accounts = byName ? ImageAccounts.read(root) : ImageAccounts.NONE;
            for (NodeIdentity.NodeFile file : files) {
                Optional<String> blocked = root.whyNotWritable(file.path());
                if (blocked.isPresent()) {
                    console.warn("none of the " + files.size() + " node files written: " + blocked.get());
                    return;
                }
                Optional<int[]> owner = accounts.owner(file.owner());
                if (owner.isEmpty()) {
                    console.warn("none of the " + files.size() + " node files written: " + file.path() + " is to be owned by "
                            + file.owner() + ", whom the image's /etc/passwd or /etc/group does not know");
                    return;
                }
                planned.add(new Planned(file, owner.get()));
            }
        } catch (IOException e) {
            console.warn("none of the node files written: " + e.getMessage());
            return;
        }
        List<String> written = new ArrayList<>();
        for (Planned plan : planned) {
            try {
                root.write(plan.file().path(), plan.file().content(), mode(plan.file().mode()), plan.owner()[0], plan.owner()[1]);
                written.add(plan.file().path());
            } catch (IOException e) {
                console.warn("node file " + plan.file().path() + " not written: " + e.getMessage()
                        + (written.isEmpty() ? "" : " (written before it: " + String.join(", ", written) + ")"));
                return;
            }
        }
        console.info("node files written: " + String.join(", ", written));
    }

    private void writeHostname(String hostname, String fqdn) {
        if (hostname.length() > MAX_HOSTNAME || !HOSTNAME.matcher(hostname).matches()) {
            console.warn("the node API sent the host name '" + NodeFileRules.printable(hostname) + "', which is not one; the image's stays");
            return;
        }
        String shortName = hostname.contains(".") ? hostname.substring(0, hostname.indexOf('.')) : hostname;
        String longName = fqdn != null && fqdn.length() <= MAX_FQDN && HOSTNAME.matcher(fqdn).matches() ? fqdn
                : hostname.contains(".") ? hostname : null;
        try {
            root.write("/etc/hostname", hostname + "\n", mode("0644"), 0, 0);
            String hosts = root.readIfRegular("/etc/hosts").orElse("127.0.0.1\tlocalhost\n");
            root.write("/etc/hosts", withLoopbackName(hosts, longName == null || longName.equals(shortName)
                    ? shortName : longName + " " + shortName), mode("0644"), 0, 0);
            console.info("host name " + hostname + (longName == null ? "" : " (" + longName + ")"));
        } catch (IOException e) {
            console.warn("the host name " + hostname + " is not set: " + e.getMessage());
        }
    }

    /** {@code hosts} with its {@code 127.0.1.1} lines replaced by one naming the node, after {@code 127.0.0.1}'s. */
    static String withLoopbackName(String hosts, String names) {
        String line = LOOPBACK_NAME_ADDRESS + "\t" + names;
        List<String> lines = new ArrayList<>();
        boolean placed = false;
        for (String existing : hosts.lines().toList()) {
            String[] fields = existing.strip().split("\\s+");
            if (fields[0].equals(LOOPBACK_NAME_ADDRESS)) {
                continue;
            }
            lines.add(existing);
            if (!placed && fields[0].equals("127.0.0.1")) {
                lines.add(line);
                placed = true;
            }
        }
        if (!placed) {
            lines.add(0, line);
        }
        return String.join("\n", lines) + "\n";
    }

    private static Set<PosixFilePermission> mode(String octal) {
        int bits = Integer.parseInt(octal, 8);
        StringBuilder symbolic = new StringBuilder();
        String letters = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            symbolic.append((bits & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
        }
        return PosixFilePermissions.fromString(symbolic.toString());
    }

    private record Planned(NodeIdentity.NodeFile file, int[] owner) {
    }
}
