package dev.tether.dev;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A TPM 2.0 for the VM: {@code swtpm socket} with its control channel on a Unix socket, as qemu's
 * {@code -tpmdev emulator} wants it. The state directory outlives the process, so a machine that reboots
 * (qemu resets the TPM, swtpm keeps running) or a new swtpm on the same directory keeps what was sealed.
 */
public final class SoftwareTpm implements AutoCloseable {
    private final Process process;
    private final Path controlSocket;

    private SoftwareTpm(Process process, Path controlSocket) {
        this.process = process;
        this.controlSocket = controlSocket;
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
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
