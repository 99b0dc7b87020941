package dev.tether.imgutil.exec;

import dev.tether.imgutil.UserError;
import dev.tether.imgutil.util.Tools;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a command inside a root tree, as {@code imgutil exec} and every build step do: fresh mount,
 * PID and UTS namespaces (util-linux {@code unshare}), {@code /proc}, {@code /sys}, a minimal {@code /dev},
 * {@code /dev/pts}, {@code /run}, {@code /tmp} and the host's resolv.conf mounted, then {@code chroot}.
 * The command is PID 1 of its namespace. Because the mounts live only in the private mount namespace,
 * the kernel removes them when its last process ends, however it ends; {@code --kill-child} ends the
 * namespace when imgutil itself is killed.
 */
public final class NamespaceExec {
    private static final String SCRIPT = loadScript();
    private static final List<String> MOUNT_POINTS = List.of("proc", "sys", "dev", "run", "tmp");

    /**
     * @param environment variables for the command on top of a clean PATH/HOME/LANG/TERM
     */
    public record Request(Path root, List<BindMount> binds, List<String> command, Map<String, String> environment,
            String hostname) {
        public Request {
            binds = List.copyOf(binds);
            command = List.copyOf(command);
            environment = Map.copyOf(environment);
        }

        public static Request of(Path root, List<String> command) {
            return new Request(root, List.of(), command, Map.of(), "imgutil");
        }

        public Request withEnvironment(Map<String, String> extra) {
            Map<String, String> merged = new LinkedHashMap<>(environment);
            merged.putAll(extra);
            return new Request(root, binds, command, merged, hostname);
        }
    }

    private NamespaceExec() {
    }

    /** Checks the tree and prepares the command; the caller sets where its input and output go. */
    public static ProcessBuilder processBuilder(Request request) {
        Tools.requireRoot("imgutil exec");
        Tools.require("unshare");
        ProcessBuilder builder = new ProcessBuilder(commandLine(request));
        Map<String, String> environment = builder.environment();
        String term = environment.get("TERM");
        environment.clear();
        environment.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        environment.put("HOME", "/root");
        environment.put("LANG", "C.UTF-8");
        if (term != null) {
            environment.put("TERM", term);
        }
        environment.putAll(request.environment());
        return builder;
    }

    /** Starts the command with the given input and output. */
    public static Process start(Request request, ProcessBuilder.Redirect in, ProcessBuilder.Redirect out,
            ProcessBuilder.Redirect err) {
        try {
            return processBuilder(request).redirectInput(in).redirectOutput(out).redirectError(err).start();
        } catch (IOException e) {
            throw new UserError("could not start unshare: " + e.getMessage(), e);
        }
    }

    /** Runs the command to its end and returns its exit status (128+signal when it was killed). */
    public static int run(Request request, ProcessBuilder.Redirect in, ProcessBuilder.Redirect out,
            ProcessBuilder.Redirect err) {
        Process process = start(request, in, out, err);
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            process.destroy();
            Thread.currentThread().interrupt();
            throw new UserError("interrupted while the command ran inside " + request.root());
        }
    }

    static List<String> commandLine(Request request) {
        Path root = checkRoot(request.root());
        List<String> line = new ArrayList<>(List.of("unshare", "--mount", "--pid", "--uts", "--fork",
                "--kill-child", "--propagation", "private", "--", "/bin/sh", "-c", SCRIPT, "enter-namespace",
                root.toString(), request.hostname(), resolvTarget(root), Integer.toString(request.binds().size())));
        for (BindMount bind : request.binds()) {
            line.add(bind.source().toString());
            line.add(checkInsideRoot(root, bind.target()));
        }
        line.add("--");
        line.addAll(request.command().isEmpty() ? defaultShell(root) : request.command());
        return line;
    }

    private static Path checkRoot(Path requested) {
        Path root;
        try {
            root = requested.toRealPath();
        } catch (IOException e) {
            throw new UserError("image tree " + requested + " does not exist");
        }
        if (!Files.isDirectory(root)) {
            throw new UserError(requested + " is not a directory (an image tree is a directory)");
        }
        if (root.getParent() == null) {
            throw new UserError("refusing to use / as an image tree");
        }
        for (String name : MOUNT_POINTS) {
            Path point = root.resolve(name);
            if (Files.isSymbolicLink(point) || (Files.exists(point, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(point))) {
                throw new UserError(point + " must be a directory, not a link or file (it is a mount point)");
            }
            try {
                Files.createDirectories(point);
            } catch (IOException e) {
                throw new UserError("cannot create mount point " + point + ": " + e.getMessage());
            }
        }
        return root;
    }

    /** A mount target must not leave the tree through a symlink inside it (they are resolved on the host). */
    private static String checkInsideRoot(Path root, String target) {
        Path current = root;
        for (Path part : Path.of(target.substring(1))) {
            current = current.resolve(part);
            if (Files.isSymbolicLink(current)) {
                throw new UserError("--bind destination " + target + " goes through the symlink " + current
                        + "; name the real path inside the tree");
            }
        }
        return target;
    }

    /** Where the host's resolv.conf goes: over the tree's own file, or where its link points into /run. */
    private static String resolvTarget(Path root) {
        Path resolv = root.resolve("etc/resolv.conf");
        try {
            if (Files.isSymbolicLink(resolv)) {
                Path link = Files.readSymbolicLink(resolv);
                Path inTree = link.isAbsolute() ? root.resolve(link.toString().substring(1)).normalize()
                        : resolv.getParent().resolve(link).normalize();
                return inTree.startsWith(root.resolve("run")) ? inTree.toString() : "";
            }
            return Files.isRegularFile(resolv) ? resolv.toString() : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static List<String> defaultShell(Path root) {
        return Files.isExecutable(root.resolve("bin/bash")) ? List.of("/bin/bash", "-l") : List.of("/bin/sh", "-l");
    }

    private static String loadScript() {
        try (InputStream in = NamespaceExec.class.getResourceAsStream("/dev/tether/imgutil/exec/enter-namespace.sh")) {
            if (in == null) {
                throw new IllegalStateException("enter-namespace.sh is missing from the imgutil jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
