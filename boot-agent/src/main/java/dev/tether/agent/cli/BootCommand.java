package dev.tether.agent.cli;

import dev.tether.agent.AddonProfile;
import dev.tether.agent.AgentConsole;
import dev.tether.agent.AgentServices;
import dev.tether.agent.BootFailure;
import dev.tether.agent.BootOptions;
import dev.tether.agent.BootSequence;
import dev.tether.agent.BootedRoot;
import dev.tether.agent.ImageKeyProvider;
import dev.tether.agent.MachineEnrolled;
import dev.tether.agent.image.EdgeTls;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/** {@code tether-agent boot}: builds the node's root and returns, so the initramfs switches to it. */
public final class BootCommand implements TetherAgent.AgentCommand {
    static final int FAILED = 1;
    static final String SUMMARY = "Builds the root from the image the kernel command line names.";
    /** Set by the launcher to where it mounted the agent's runtime, which the agent lets go when it ends. */
    static final String RUNTIME_MOUNT = "TETHER_AGENT_RUNTIME_MOUNT";

    Path rootArgument;
    Path rootOption;
    Path cmdline = BootOptions.DEFAULT_CMDLINE;
    Path keyFile;
    Path addon = AddonProfile.DEFAULT_PATH;
    Path runDir = BootOptions.DEFAULT_RUN_DIR;
    long manifestTimeoutSeconds = BootOptions.DEFAULT_MANIFEST_PATIENCE.toSeconds();
    Path nodeApiCa = BootOptions.DEFAULT_NODE_API_CA;
    Path readyFile;
    Path initramfsReady;
    boolean debug;

    private final AgentServices services;
    private final AgentConsole console;

    public BootCommand(AgentServices services, AgentConsole console) {
        this.services = services;
        this.console = console;
    }

    @Override
    public CommandSyntax syntax() {
        return new CommandSyntax("tether-agent boot",
                List.of("Builds the root at ROOT (default /sysroot) from the image the kernel command line names:",
                        "mounts the image from the edges (tethered or untethered), loop-mounts its squashfs, and puts an",
                        "overlay with a zram-backed writable layer on top. Run by the initramfs hook (boot=tether)."),
                List.of("", "Exit status: 0 when the root is ready, 1 when the boot failed (one line says why), 2 on a"
                        + " usage error."))
                .positional("ROOT", "Where to mount the root, as the initramfs hooks pass it ($NEWROOT, ${rootmnt}).",
                        value -> rootArgument = CommandSyntax.path("ROOT", value))
                .option("--root", "DIR", "Same as ROOT. Default: /sysroot.",
                        value -> rootOption = CommandSyntax.path("--root", value))
                .option("--cmdline", "FILE", "The kernel command line. Default: /proc/cmdline.",
                        value -> cmdline = CommandSyntax.path("--cmdline", value))
                .option("--key-file", "FILE", "The image key (32 bytes or 64 hex digits), instead of the node API's."
                        + " Without either, only unencrypted images boot.",
                        value -> keyFile = CommandSyntax.path("--key-file", value))
                .option("--addon", "FILE", "The addon profile. Default: /etc/tether/profile.json.",
                        value -> addon = CommandSyntax.path("--addon", value))
                .option("--run-dir", "DIR", "Where the agent mounts the image and the writable layer."
                        + " Default: /run/tether.", value -> runDir = CommandSyntax.path("--run-dir", value))
                .option("--manifest-timeout", "SECONDS", "How long the edges may take to serve the manifest."
                        + " Default: 120.",
                        value -> manifestTimeoutSeconds = CommandSyntax.wholeNumber("--manifest-timeout", value))
                .option("--node-api-ca", "FILE", "The cluster CA certificate the node API's certificate must be"
                        + " signed by. Default: /etc/tether/node-api-ca.pem.",
                        value -> nodeApiCa = CommandSyntax.path("--node-api-ca", value))
                .option("--wait-for", "FILE", "Waits until FILE exists before the boot begins: the initramfs starts the"
                        + " agent while it still loads drivers and configures the network, and writes FILE once it has.",
                        value -> initramfsReady = CommandSyntax.path("--wait-for", value))
                .hiddenOption("--ready-file", "FILE", "Written when the root is ready; the launcher"
                        + " (bin/tether-agent), which supervises this process, waits for it.",
                        value -> readyFile = CommandSyntax.path("--ready-file", value))
                .flag("--debug", "Print stack traces under failures, as tether.debug does.", () -> debug = true);
    }

    @Override
    public int call() throws IOException {
        if (rootArgument != null && rootOption != null && !rootArgument.equals(rootOption)) {
            console.error("ROOT " + rootArgument + " and --root " + rootOption + " differ; give one of them");
            return TetherAgent.USAGE_ERROR;
        }
        Path target = rootOption != null ? rootOption : rootArgument != null ? rootArgument : BootOptions.DEFAULT_TARGET;
        console.configure(debug, true);
        BootOptions options = new BootOptions(target, cmdline, addon, runDir, Duration.ofSeconds(manifestTimeoutSeconds),
                nodeApiCa, Optional.ofNullable(initramfsReady));
        Optional<ImageKeyProvider> keys = Optional.ofNullable(keyFile).map(ImageKeyProvider::fromFile);
        HttpClient http = HttpClient.newBuilder().sslContext(EdgeTls.context()).connectTimeout(Duration.ofSeconds(3))
                .build();
        BootedRoot root;
        try {
            root = new BootSequence(options, console, services, keys, http).run();
        } catch (MachineEnrolled e) {
            console.info(e.getMessage());
            return TetherAgent.ENROLLED_REBOOT;
        } catch (BootFailure e) {
            console.error(e.getMessage());
            console.debug(e);
            return FAILED;
        }
        if (readyFile != null) {
            Files.writeString(readyFile, "ready\n");
        }
        root.handOver();
        if (root.image().servedByThisProcess()) {
            console.info("serving the root image from the edges; this process stays for as long as the node runs");
            awaitShutdown();
        }
        releaseRuntime();
        return 0;
    }

    /**
     * Untethered, nothing of the agent may stay in RAM once it ends: the launcher, which no longer waits for it, said
     * where it mounted the agent's runtime, which is detached now and goes when this process ends (and with it the
     * runtime's file in the initramfs, which the loop device kept).
     */
    private void releaseRuntime() {
        String runtime = System.getenv(RUNTIME_MOUNT);
        if (runtime == null || runtime.isEmpty()) {
            return;
        }
        try {
            services.nodeRoot().detach(Path.of(runtime));
        } catch (IOException | RuntimeException e) {
            console.warn("the agent's runtime stays mounted at " + runtime + " (" + e.getMessage() + ")");
        }
    }

    /** The tethered image lives in this process: it must not end while the root is mounted. */
    private static void awaitShutdown() {
        try {
            new CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
