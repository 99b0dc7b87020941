package dev.tether.imgutil.util;

import dev.tether.imgutil.UserError;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * Runs the external tools imgutil drives (debootstrap, mksquashfs, unshare...). On a terminal the tool
 * writes straight to it, so its own progress display works; in a Job its lines are logged. Its stdout
 * never reaches imgutil's stdout, which carries results (the digest) only.
 */
public final class ProcessRunner {
    private static final int TAIL_LINES = 20;

    private final Console console;

    public ProcessRunner(Console console) {
        this.console = console;
    }

    public Console console() {
        return console;
    }

    public void run(String what, List<String> command) {
        run(what, command, Map.of());
    }

    /**
     * Runs {@code command} to completion.
     *
     * @throws UserError naming {@code what} when the tool is missing or exits non-zero
     */
    public void run(String what, List<String> command, Map<String, String> environment) {
        Tools.require(command.get(0));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        run(what, builder);
    }

    /** Runs a prepared process (its redirects are set here) to completion; see {@link #run(String, List, Map)}. */
    public void run(String what, ProcessBuilder builder) {
        Deque<String> tail = new ArrayDeque<>();
        int status;
        try {
            if (console.terminal()) {
                builder.redirectOutput(new File("/dev/stderr")).redirectError(ProcessBuilder.Redirect.INHERIT);
                builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                status = builder.start().waitFor();
            } else {
                builder.redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                Process process = builder.start();
                try (BufferedReader lines = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = lines.readLine()) != null; ) {
                        console.info("  " + line);
                        if (!line.isBlank()) {
                            tail.addLast(line.strip());
                            if (tail.size() > TAIL_LINES) {
                                tail.removeFirst();
                            }
                        }
                    }
                }
                status = process.waitFor();
            }
        } catch (IOException e) {
            throw new UserError(what + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError(what + " was interrupted");
        }
        if (status != 0) {
            String detail = tail.isEmpty() ? "its output is above" : "last output: " + tail.getLast();
            throw new UserError(what + " failed with exit status " + status + " (" + detail + ")");
        }
    }

    /**
     * Runs a short query command and returns its stdout as bytes (a digest is taken of them). Its stderr
     * is logged, and a failure's message carries the last line of it, which is where tools say why.
     */
    public byte[] captureBytes(String what, List<String> command) {
        Tools.require(command.get(0));
        Path errors = null;
        try {
            errors = Files.createTempFile("imgutil-", ".stderr");
            Process process = new ProcessBuilder(command).redirectError(errors.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            byte[] output = process.getInputStream().readAllBytes();
            int status = process.waitFor();
            List<String> lines = Files.readAllLines(errors).stream().filter(line -> !line.isBlank()).toList();
            lines.forEach(line -> console.info("  " + line));
            if (status != 0) {
                throw new UserError(what + " failed with exit status " + status
                        + (lines.isEmpty() ? "" : ": " + lines.get(lines.size() - 1).strip()));
            }
            return output;
        } catch (IOException e) {
            throw new UserError(what + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError(what + " was interrupted");
        } finally {
            if (errors != null) {
                try {
                    Files.deleteIfExists(errors);
                } catch (IOException ignored) {
                    // A leftover empty temporary file is harmless; the command's result matters more.
                }
            }
        }
    }

    /** Runs a short query command and returns its stdout; stderr goes to the console. */
    public String capture(String what, List<String> command) {
        Tools.require(command.get(0));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        try {
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = process.waitFor();
            if (status != 0) {
                throw new UserError(what + " failed with exit status " + status);
            }
            return output;
        } catch (IOException e) {
            throw new UserError(what + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError(what + " was interrupted");
        }
    }
}
