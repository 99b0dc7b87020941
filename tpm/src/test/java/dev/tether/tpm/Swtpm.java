package dev.tether.tpm;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;

/**
 * A real TPM 2.0 emulator for tests: {@code swtpm socket} on two loopback ports (the swtpm TCTI takes the
 * server port and uses the next one for control). {@link #reboot()} restarts it on the same state directory,
 * which keeps persistent objects and resets the PCRs, like a machine reboot.
 */
public final class Swtpm implements AutoCloseable {
    private final Path stateDir;
    private final Path log;
    private Process process;
    private int port;

    private Swtpm(Path stateDir) {
        this.stateDir = stateDir;
        this.log = stateDir.resolveSibling(stateDir.getFileName() + "-swtpm.log");
    }

    /** Skips the calling test class, saying why, unless swtpm and the tpm2-tss libraries are installed. */
    public static void assumeAvailable() {
        boolean swtpm = onPath("swtpm");
        if (!swtpm) {
            System.err.println("SKIPPED TPM tests: swtpm is not installed (Debian package swtpm)");
        }
        assumeTrue(swtpm, "swtpm is not installed (Debian package swtpm)");
        assumeLibraries();
    }

    /** Skips the calling test class, saying why, unless the tpm2-tss libraries load. */
    public static void assumeLibraries() {
        String missing;
        try {
            Tpm2.libraries();
            missing = null;
        } catch (TpmException e) {
            missing = e.getMessage();
            System.err.println("SKIPPED TPM tests: " + missing);
        }
        assumeTrue(missing == null, missing);
    }

    static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    public static Swtpm start(Path stateDir) throws IOException, InterruptedException {
        Files.createDirectories(stateDir);
        Swtpm tpm = new Swtpm(stateDir);
        // Should a test JVM end without closing it, leave no emulator behind.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Process p = tpm.process;
            if (p != null) {
                p.destroy();
            }
        }));
        tpm.launch();
        return tpm;
    }

    /**
     * Starts a TPM as it leaves the factory: {@code swtpm_setup} creates its EK and stores an EK certificate (signed by
     * swtpm's local CA) at NV index 0x01c00002, as a TPM vendor does. Skips the calling test, saying why, without
     * swtpm_setup.
     */
    public static Swtpm startManufactured(Path stateDir) throws IOException, InterruptedException {
        manufacture(stateDir);
        return start(stateDir);
    }

    /** The state of a TPM as {@link #startManufactured} makes it, not started; copy the directory for more of the same TPM. */
    public static void manufacture(Path stateDir) throws IOException, InterruptedException {
        boolean setup = onPath("swtpm_setup");
        if (!setup) {
            System.err.println("SKIPPED: swtpm_setup is not installed (Debian package swtpm-tools)");
        }
        assumeTrue(setup, "swtpm_setup is not installed (Debian package swtpm-tools)");
        Files.createDirectories(stateDir);
        Process p = new ProcessBuilder("swtpm_setup", "--tpm2", "--tpmstate", stateDir.toString(), "--create-ek-cert",
                "--create-platform-cert", "--overwrite").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("swtpm_setup failed: " + out);
        }
    }

    /** The DER EK certificate the manufacturer stored (RSA EK, NV index 0x01c00002), read with tpm2-tools. */
    public byte[] ekCertificate() throws IOException, InterruptedException {
        Path der = stateDir.resolveSibling(stateDir.getFileName() + "-ek.crt");
        tools("tpm2_nvread", "0x01c00002", "-o", der.toString());
        return Files.readAllBytes(der);
    }

    public int port() {
        return port;
    }

    public String tcti() {
        return "swtpm:host=127.0.0.1,port=" + port;
    }

    /** Stops and restarts on the same state: persistent objects stay, PCRs start from zero again. */
    public void reboot() throws IOException, InterruptedException {
        stop();
        launch();
    }

    /** Runs a tpm2-tools command against this TPM (no store may be open: swtpm serves one client at a time). */
    public String tools(String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("TPM2TOOLS_TCTI", tcti());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (rc != 0) {
            throw new IOException(String.join(" ", command) + " exited " + rc + ": " + out);
        }
        return out;
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void launch() throws IOException, InterruptedException {
        IOException last = null;
        for (int attempt = 0; attempt < 10; attempt++) {
            port = freePortPair();
            List<String> cmd = new ArrayList<>(List.of("swtpm", "socket", "--tpm2",
                    "--tpmstate", "dir=" + stateDir,
                    "--server", "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
                    "--ctrl", "type=tcp,port=" + (port + 1) + ",bindaddr=127.0.0.1",
                    "--flags", "not-need-init,startup-clear",
                    "--log", "file=" + log));
            process = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            // Until it listens or exits, with a deadline no busy machine comes near (it listens within a second).
            Process started = process;
            int server = port;
            Awaitility.await("swtpm listening on ports " + server + " and " + (server + 1)).atMost(Duration.ofMinutes(5))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> !started.isAlive() || listening(server) && listening(server + 1));
            if (process.isAlive()) {
                return;
            }
            last = new IOException("swtpm exited " + process.exitValue() + " (port " + port + " taken?): "
                    + (Files.exists(log) ? Files.readString(log) : ""));
        }
        throw last;
    }

    private void stop() throws InterruptedException {
        if (process != null) {
            process.destroy();
            process.waitFor();
            process = null;
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A port p with p and p + 1 free just now (the swtpm TCTI derives the control port as p + 1). */
    private static int freePortPair() throws IOException {
        for (int i = 0; i < 50; i++) {
            try (ServerSocket a = new ServerSocket(0)) {
                int p = a.getLocalPort();
                if (p >= 65535) {
                    continue;
                }
                try {
                    new ServerSocket(p + 1).close();
                    return p;
                } catch (IOException taken) {
                    // try another pair
                }
            }
        }
        throw new IOException("No two consecutive free TCP ports");
    }
}
