package dev.tether.dev;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A TPM 2.0 for the VM: {@code swtpm socket} with its control channel on a Unix socket, as qemu's
 * {@code -tpmdev emulator} wants it. The state directory outlives the process, so a machine that reboots
 * (qemu resets the TPM, swtpm keeps running) or a new swtpm on the same directory keeps what was sealed.
 */
public final class SoftwareTpm implements AutoCloseable {
    private final Process process;
    private final Path controlSocket;
    /** Set by {@link #close()}: an exit before it, which may leave a running machine without its TPM, is said. */
    private volatile boolean closing;
    /** Done once swtpm's exit was seen (and said, unless it was closed). */
    final CompletableFuture<Void> exitSeen;

    private SoftwareTpm(Process process, Path controlSocket) {
        this.process = process;
        this.controlSocket = controlSocket;
        // A machine whose swtpm died finds no TPM at its next boot ("tpm tpm0: A TPM error (9) occurred attempting to
        // determine the timeouts", then the agent's "this machine has none"), which reads like a fault of the boot
        // under test, and swtpm logs nothing when it ends. It ends by itself, status 0, once its qemu has gone (a
        // machine powered off); anything that starts or still runs on it after that line has no TPM.
        exitSeen = process.onExit().thenAccept(exited -> {
            if (!closing) {
                String line = String.format(Locale.ROOT, "[SoftwareTpm] swtpm for %s exited with status %d%s: a machine"
                        + " that runs on it from now on has no TPM", controlSocket.getParent(), exited.exitValue(),
                        exited.exitValue() > 128 ? " (signal " + (exited.exitValue() - 128) + ")" : "");
                System.err.println(line);
                try {
                    Files.writeString(controlSocket.resolveSibling("swtpm.out"), line + "\n", StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                } catch (IOException e) {
                    System.err.println("[SoftwareTpm] and the line could not be added to swtpm.out: " + e.getMessage());
                }
            }
        });
    }

    public static boolean available() {
        return ImageCache.onPath("swtpm");
    }

    /** Starts swtpm on {@code stateDir} (created empty if missing: a TPM that has never sealed anything). */
    public static SoftwareTpm start(Path stateDir) throws IOException, InterruptedException {
        Files.createDirectories(stateDir);
        Path socket = stateDir.resolve("swtpm.ctrl");
        Files.deleteIfExists(socket);
        Process process = new ProcessBuilder(List.of("swtpm", "socket", "--tpm2",
                "--tpmstate", "dir=" + stateDir,
                "--ctrl", "type=unixio,path=" + socket,
                "--log", "file=" + stateDir.resolve("swtpm.log") + ",level=1"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(stateDir.resolve("swtpm.out").toFile()))
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, "swtpm-stop"));
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (!Files.exists(socket)) {
            if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                process.destroyForcibly();
                throw new IOException("swtpm did not open " + socket + "; see " + stateDir.resolve("swtpm.out"));
            }
            Thread.sleep(50);
        }
        return new SoftwareTpm(process, socket);
    }

    public Path controlSocket() {
        return controlSocket;
    }

    @Override
    public void close() throws InterruptedException {
        closing = true;
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
