package dev.tether.nodeapi;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a kept path ({@code NodeProfile.spec.persistence.paths}) may be, judged the same by the operator and the agent
 * (which trusts no list it receives). A kept path is restored over the image's files before the init runs, so it may
 * not be the whole root, nor reach what the kernel or the init mount over the root.
 */
public final class PersistencePaths {
    /** Paths per profile, as the CRD allows. */
    public static final int MAX_PATHS = 64;
    /** Characters of one path, as the CRD allows. */
    public static final int MAX_PATH_LENGTH = 4096;
    /** Kernel interfaces and what the init mounts over the root, and the agent's own run directory. */
    private static final List<String> FORBIDDEN_TREES = List.of("/proc", "/sys", "/dev", "/run", "/var/run", "/tmp");

    private PersistencePaths() {
    }

    /** Why {@code path} may not be kept, or empty when it may. */
    public static Optional<String> check(String path) {
        if (path == null || path.isEmpty()) {
            return Optional.of("a kept path is empty");
        }
        if (path.length() > MAX_PATH_LENGTH) {
            return Optional.of("a kept path is longer than " + MAX_PATH_LENGTH + " characters");
        }
        if (!path.startsWith("/") || path.equals("/")) {
            return Optional.of("'" + printable(path) + "' is not an absolute path below /");
        }
        for (int i = 0; i < path.length(); i++) {
            if (path.charAt(i) < 0x20 || path.charAt(i) == 0x7f) {
                return Optional.of("'" + printable(path) + "' holds a control character");
            }
        }
        for (String component : path.substring(1).split("/", -1)) {
            if (component.isEmpty() || component.equals(".") || component.equals("..")) {
                return Optional.of("'" + printable(path) + "' is not normalised: no empty, . or .. components");
            }
            if (component.length() > 255) {
                return Optional.of("'" + printable(path) + "' has a component longer than 255 characters");
            }
        }
        for (String tree : FORBIDDEN_TREES) {
            if (path.equals(tree) || path.startsWith(tree + "/")) {
                return Optional.of("'" + path + "' is under " + tree + ", which the kernel or the node's init mounts over the root");
            }
        }
        return Optional.empty();
    }

    /**
     * The paths to keep, checked, without duplicates and without a path inside another kept one (the outer one keeps it
     * already).
     *
     * @throws IllegalArgumentException naming the first path that may not be kept
     */
    public static List<String> normalise(List<String> paths) {
        if (paths.size() > MAX_PATHS) {
            throw new IllegalArgumentException(paths.size() + " kept paths; a profile keeps at most " + MAX_PATHS);
        }
        for (String path : paths) {
            Optional<String> problem = check(path);
            if (problem.isPresent()) {
                throw new IllegalArgumentException(problem.get());
            }
        }
        List<String> kept = new ArrayList<>();
        for (String path : paths) {
            boolean inside = paths.stream().anyMatch(other -> !other.equals(path) && path.startsWith(other + "/"));
            if (!inside && !kept.contains(path)) {
                kept.add(path);
            }
        }
        return List.copyOf(kept);
    }

    /** Whether {@code relative} (a path inside the root, without its leading slash) lies in one of the kept paths. */
    public static boolean covers(List<String> kept, String relative) {
        String absolute = "/" + relative;
        return kept.stream().anyMatch(path -> absolute.equals(path) || absolute.startsWith(path + "/"));
    }

    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().limit(200).forEach(c -> out.append(c < 0x20 || c == 0x7f ? "?" : Character.toString(c)));
        return out.toString();
    }
}
