package dev.tether.agent.root;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the system tools the root is built with ({@code mount}, {@code umount}, {@code mkfs.xfs}...), always
 * as argument lists, never through a shell. Tools are looked up on the search path this object was given
 * rather than left to {@link ProcessBuilder}, because the JDK searches its own {@code PATH}: a missing tool
 * is then reported by name with the directories searched, before anything is started.
 */
public final class HostTools {
    /** Directories an initramfs keeps its tools in; {@code PATH} in an initramfs often lacks the sbin ones. */
    private static final List<String> SYSTEM_DIRS = List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin");
    private static final long TIMEOUT_SECONDS = 120;

    private final List<Path> searchPath;

    public HostTools(List<Path> searchPath) {
        this.searchPath = List.copyOf(searchPath);
    }

    /** The tools on {@code PATH}, then the usual system directories. */
    public static HostTools fromEnvironment() {
        return fromPath(System.getenv("PATH"), true);
    }

    /**
     * @param path a {@code PATH}-style list of directories
     * @param withSystemDirs whether the usual system directories are searched after it
     */
    public static HostTools fromPath(String path, boolean withSystemDirs) {
        List<Path> dirs = new ArrayList<>();
        if (path != null) {
            for (String dir : path.split(":")) {
                if (!dir.isEmpty()) {
                    dirs.add(Path.of(dir));
                }
            }
        }
        if (withSystemDirs) {
            SYSTEM_DIRS.stream().map(Path::of).filter(dir -> !dirs.contains(dir)).forEach(dirs::add);
        }
        return new HostTools(dirs);
    }

    /** The executable named {@code tool}, or a message naming it and where it was looked for. */
    public Path require(String tool) throws RootSetupException {
        for (Path dir : searchPath) {
            Path candidate = dir.resolve(tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new RootSetupException(tool + " not found (searched " + searchPathText()
                + "): the initramfs must contain it; rebuild it with the Tether hook, which copies " + tool);
    }

    /**
     * Runs a tool to completion and returns its standard output.
     *
     * @param what what the command does, for the error message ("formatting /dev/zram1 as xfs")
     * @param hint what to check when it fails, appended to the message
     */
    public String run(String what, String hint, List<String> command) throws RootSetupException {
        List<String> resolved = new ArrayList<>(command);
        resolved.set(0, require(command.get(0)).toString());
        ProcessBuilder builder = new ProcessBuilder(resolved)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        try {
            Process process = builder.start();
            // Tools here print little; reading stderr on its own thread keeps a chatty one from blocking.
            var stderr = process.getErrorStream();
            var errorText = new StringBuilder();
            Thread drain = Thread.ofVirtual().start(() -> {
                try {
                    errorText.append(new String(stderr.readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // The process went away; its exit status says what matters.
                }
            });
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new RootSetupException(what + " did not finish within " + TIMEOUT_SECONDS + "s; " + hint);
            }
            drain.join();
            if (process.exitValue() != 0) {
                throw new RootSetupException(what + " failed (" + command.get(0) + " exit status "
                        + process.exitValue() + firstLine(errorText.toString()) + "); " + hint);
            }
            return output;
        } catch (RootSetupException e) {
            throw e;
        } catch (IOException e) {
            throw new RootSetupException(what + " failed: " + e.getMessage() + "; " + hint, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RootSetupException(what + " was interrupted");
        }
    }

    private String searchPathText() {
        return String.join(":", searchPath.stream().map(Path::toString).toList());
    }

    /** Tools put the cause first; what follows is often a usage text. */
    private static String firstLine(String text) {
        String first = text.strip().split("\\R", 2)[0].strip();
        return first.isEmpty() ? "" : ": " + first;
    }
}
