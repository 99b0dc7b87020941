package dev.tether.nodeapi;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a node file may be, judged the same by the operator (before rendering, so a profile author sees the refusal
 * in the profile's status) and by the agent (which trusts no list it receives). Whoever writes a NodeProfile chooses
 * these paths and contents, so they may not reach the agent's own state or the kernel's interfaces, hide a set-id
 * program, or fill the node's memory.
 */
public final class NodeFileRules {
    /** Files per node. */
    public static final int MAX_FILES = 32;
    /** UTF-8 bytes of one rendered file. */
    public static final int MAX_FILE_BYTES = 64 * 1024;
    /**
     * Bytes all of a node's rendered files take in the boot configuration's JSON (escapes counted): the agent reads
     * that answer up to 256 KiB, and the rest of it must fit too, or the node would not boot at all.
     */
    public static final int MAX_TOTAL_BYTES = 128 * 1024;
    /** Characters of a path. */
    public static final int MAX_PATH_LENGTH = 1024;
    /** The default mode. */
    public static final String DEFAULT_MODE = "0644";

    /** Kernel interfaces, mounted over the root by its init, and the agent's own run directory. */
    private static final List<String> FORBIDDEN_TREES = List.of("/proc", "/sys", "/dev", "/run", "/var/run");
    /** Files the agent itself writes at every boot: a node file may not take their place. */
    private static final Set<String> AGENT_FILES = Set.of("/etc/hostname", "/etc/shadow", "/etc/ssh/ssh_known_hosts",
            "/etc/ssh/sshd_config.d/tether.conf");
    private static final Pattern AGENT_FILE_PATTERN = Pattern.compile("/etc/ssh/ssh_host_[^/]*");
    /** Portable file-name characters, plus {@code @ + , :} that configuration paths use (systemd units, Slurm). */
    private static final Pattern PATH = Pattern.compile("(/[A-Za-z0-9._@+,:=-]+)+");
    private static final Pattern MODE = Pattern.compile("0?[0-7]{3}");
    /** {@code user:group}, each a name as useradd allows or a number. */
    private static final Pattern OWNER = Pattern.compile("[a-z_][a-z0-9_-]{0,31}\\$?:[a-z_][a-z0-9_-]{0,31}\\$?"
            + "|[0-9]{1,10}:[0-9]{1,10}");

    private NodeFileRules() {
    }

    /** Why {@code path} may not be a node file, or empty when it may. */
    public static Optional<String> checkPath(String path) {
        if (path == null || path.isEmpty()) {
            return Optional.of("the path is empty");
        }
        if (path.length() > MAX_PATH_LENGTH) {
            return Optional.of("the path is longer than " + MAX_PATH_LENGTH + " characters");
        }
        if (!PATH.matcher(path).matches()) {
            return Optional.of("'" + printable(path) + "' is not an absolute path of letters, digits and . _ @ + , : = -");
        }
        for (String component : path.substring(1).split("/")) {
            if (component.equals(".") || component.equals("..")) {
                return Optional.of("'" + path + "' is not normalised: no . or .. components");
            }
            if (component.length() > 255) {
                return Optional.of("'" + path + "' has a component longer than 255 characters");
            }
        }
        for (String tree : FORBIDDEN_TREES) {
            if (path.equals(tree) || path.startsWith(tree + "/")) {
                return Optional.of("'" + path + "' is under " + tree + ", which the node's init mounts over or the agent uses");
            }
        }
        if (AGENT_FILES.contains(path) || AGENT_FILE_PATTERN.matcher(path).matches()) {
            return Optional.of("'" + path + "' is written by the Tether agent at every boot (the host name comes from"
                    + " spec.hostname, the root password and SSH files from spec.rootPasswordHash and spec.ssh)");
        }
        return Optional.empty();
    }

    /**
     * Why {@code mode} may not be a node file's mode, or empty. No set-user-ID, set-group-ID or sticky bit: a
     * rendered file is configuration, and a set-id file in the writable layer would be a way up from any local user
     * that the image itself does not offer. Not writable by others, for the same reason.
     */
    public static Optional<String> checkMode(String mode) {
        if (mode == null || !MODE.matcher(mode).matches()) {
            return Optional.of("the mode '" + printable(String.valueOf(mode)) + "' is not three octal digits (0644): set-user-ID,"
                    + " set-group-ID and sticky bits are not allowed");
        }
        if ((Integer.parseInt(mode, 8) & 0002) != 0) {
            return Optional.of("the mode " + mode + " lets any user write the file");
        }
        return Optional.empty();
    }

    /** Why {@code owner} is not {@code user:group}, or empty; null means root. */
    public static Optional<String> checkOwner(String owner) {
        if (owner == null || OWNER.matcher(owner).matches()) {
            return Optional.empty();
        }
        return Optional.of("the owner '" + printable(owner) + "' is not user:group (names or numbers)");
    }

    /** Why {@code content} may not be written, or empty: too large, or not text. */
    public static Optional<String> checkContent(String content) {
        if (content == null) {
            return Optional.of("the file has no content");
        }
        if (content.length() > MAX_FILE_BYTES || content.getBytes(StandardCharsets.UTF_8).length > MAX_FILE_BYTES) {
            return Optional.of("the rendered file is larger than " + MAX_FILE_BYTES / 1024 + " KiB");
        }
        for (int i = 0; i < content.length(); i++) {
            char c = content.charAt(i);
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
                return Optional.of("the rendered file holds the control character 0x" + Integer.toHexString(c)
                        + "; node files are text");
            }
        }
        return Optional.empty();
    }

    /**
     * Why the list as a whole may not be written (too many files, too many bytes, a path twice, or one file's
     * problem named by its path), or empty.
     */
    public static Optional<String> checkAll(List<NodeIdentity.NodeFile> files) {
        if (files.size() > MAX_FILES) {
            return Optional.of(files.size() + " node files, more than the " + MAX_FILES + " allowed");
        }
        long total = 0;
        Set<String> seen = new HashSet<>();
        for (NodeIdentity.NodeFile file : files) {
            Optional<String> problem = checkPath(file.path())
                    .or(() -> checkMode(file.mode()))
                    .or(() -> checkOwner(file.owner()))
                    .or(() -> checkContent(file.content()));
            if (problem.isPresent()) {
                return Optional.of(file.path() == null || problem.get().contains("'" + file.path() + "'") ? problem.get()
                        : printable(file.path()) + ": " + problem.get());
            }
            if (!seen.add(file.path())) {
                return Optional.of(file.path() + " is listed twice");
            }
            total += jsonBytes(file.content());
        }
        if (total > MAX_TOTAL_BYTES) {
            return Optional.of("the node files hold " + total / 1024 + " KiB together, more than the " + MAX_TOTAL_BYTES / 1024
                    + " KiB allowed");
        }
        return Optional.empty();
    }

    /** The UTF-8 bytes of {@code text} inside a JSON string: quotes, backslashes and tab, CR, LF take two. */
    static long jsonBytes(String text) {
        long escapes = text.chars().filter(c -> c == '"' || c == '\\' || c == '\t' || c == '\n' || c == '\r').count();
        return text.getBytes(StandardCharsets.UTF_8).length + escapes;
    }

    /** At most 200 characters, control characters as {@code ?}: what came from outside, safe to print. */
    public static String printable(String text) {
        String cut = text.length() > 200 ? text.substring(0, 200) + "..." : text;
        StringBuilder out = new StringBuilder(cut.length());
        cut.codePoints().forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return out.toString();
    }
}
