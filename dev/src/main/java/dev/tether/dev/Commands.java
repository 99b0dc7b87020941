package dev.tether.dev;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Runs the host's tools that the local cluster, the VM suite and the benchmarks drive ({@code ip}, {@code tc},
 * {@code rm}...): each to its end, with what it printed in the error when it fails, so a test's failure names the
 * command and its message instead of an exit status.
 */
public final class Commands {
    /** Long enough for the slowest tool run this way (a tree's removal, an initramfs build) on a busy machine. */
    public static final Duration PATIENCE = Duration.ofMinutes(5);

    private Commands() {
    }

    /** {@link #run(List, Duration)} with {@link #PATIENCE}. */
    public static String run(String... command) throws IOException, InterruptedException {
        return run(List.of(command), PATIENCE);
    }

    /**
     * Runs {@code command} and returns what it printed (standard output and error together).
     *
     * @throws IOException when it exits with another status than 0, or has not ended within {@code timeout} (it is
     *     killed then), with its output
     */
    public static String run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        // Into a file, not a pipe read here: a command that hangs with its pipe open would hang the read past the timeout.
        Path output = Files.createTempFile("tether-command-", ".out");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            boolean ended = endsWithin(process, timeout);
            String printed = Files.readString(output, StandardCharsets.UTF_8);
            if (!ended) {
                throw new IOException(String.join(" ", command) + " did not end within "
                        + String.format(Locale.ROOT, "%.1f", timeout.toMillis() / 1000.0) + " s: " + printed.strip());
            }
            if (process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): "
                        + printed.strip());
            }
            return printed;
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** Whether {@code command} ends with status 0, its output discarded: for tidying that may find nothing to tidy. */
    public static boolean succeeds(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return endsWithin(process, PATIENCE) && process.exitValue() == 0;
    }

    /**
     * Whether {@code process} ended within {@code timeout}. It is killed, its children too, when it did not, or when
     * the caller is interrupted while waiting (a test stopped): nobody would wait for it any more, and a tool's helper
     * left running would hold what it holds for nobody.
     */
    private static boolean endsWithin(Process process, Duration timeout) throws InterruptedException {
        try {
            if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return true;
            }
        } catch (InterruptedException e) {
            kill(process);
            throw e;
        }
        kill(process);
        process.waitFor(10, TimeUnit.SECONDS);
        return false;
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
