package dev.tether.agent.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Lets the initramfs continue while a tethered image is still served. The FUSE file that holds the root
 * image is served by the agent's JVM, so that process must live on after the root is ready; but the
 * initramfs script waits for the agent to exit before it switches root. So {@code boot} runs in a child
 * process, and this parent exits as soon as the child reports the root ready (or exits itself, passing its
 * status on). The child keeps the console: its output goes where the parent's would have.
 */
final class BootSupervisor {
    static final String SUPERVISED = "TETHER_AGENT_SUPERVISED";
    private static final long POLL_MILLIS = 20;

    private BootSupervisor() {
    }

    static boolean isSupervised() {
        return System.getenv(SUPERVISED) != null;
    }

    /** Runs this JVM's own command line again as the child, with a ready file added. */
    static int superviseThisCommand(String[] args, PrintStream out) {
        ProcessHandle.Info self = ProcessHandle.current().info();
        if (self.command().isEmpty() || self.arguments().isEmpty()) {
            out.println("tether: error: cannot read this process's command line from /proc; is /proc mounted?");
            return BootCommand.FAILED;
        }
        List<String> jvmArguments = new ArrayList<>(List.of(self.arguments().get()));
        // The JVM's own arguments come before the program's; keep them, replace the program's.
        List<String> command = new ArrayList<>();
        command.add(self.command().get());
        command.addAll(jvmArguments.subList(0, jvmArguments.size() - args.length));
        command.addAll(List.of(args));
        return supervise(command, out);
    }

    /** An initramfs always has /run (a tmpfs), not always /tmp. */
    private static Path scratchDir() {
        Path run = Path.of("/run");
        return Files.isDirectory(run) && Files.isWritable(run) ? run : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /**
     * Starts {@code command} with {@code --ready-file} appended and waits until the file appears (0) or the
     * command exits (its status).
     */
    static int supervise(List<String> command, PrintStream out) {
        Path ready;
        try {
            ready = Files.createTempFile(scratchDir(), "tether-agent-", ".ready");
            Files.delete(ready);
        } catch (IOException e) {
            out.println("tether: error: cannot create a temporary file (" + e.getMessage() + "); is /tmp writable?");
            return BootCommand.FAILED;
        }
        List<String> withReadyFile = new ArrayList<>(command);
        withReadyFile.addAll(List.of("--ready-file", ready.toString()));
        ProcessBuilder builder = new ProcessBuilder(withReadyFile).inheritIO()
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().put(SUPERVISED, "1");
        try {
            Process child = builder.start();
            while (true) {
                if (Files.exists(ready)) {
                    Files.deleteIfExists(ready);
                    return 0;
                }
                if (child.waitFor(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                    // It may have written the file just before exiting (untethered: nothing left to serve).
                    return Files.deleteIfExists(ready) ? 0 : child.exitValue();
                }
            }
        } catch (IOException e) {
            out.println("tether: error: cannot start the boot agent process (" + e.getMessage() + ")");
            return BootCommand.FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return BootCommand.FAILED;
        }
    }
}
