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
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tether-agent boot}: builds the node's root and returns, so the initramfs switches to it. */
@Command(name = "boot",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {"Builds the root at ROOT (default /sysroot) from the image the kernel command line names:",
            "mounts the image from the edges (tethered or untethered), loop-mounts its squashfs, and puts an",
            "overlay with a zram-backed writable layer on top. Run by the initramfs hook (boot=tether)."},
        sortOptions = false,
        footer = {"", "Exit status: 0 when the root is ready, 1 when the boot failed (one line says why), 2 on a usage error."})
public final class BootCommand implements Callable<Integer> {
    static final int FAILED = 1;

    @Parameters(index = "0", arity = "0..1", paramLabel = "ROOT",
            description = "Where to mount the root, as the initramfs hooks pass it ($NEWROOT, ${rootmnt}).")
    Path rootArgument;

    @Option(names = "--root", paramLabel = "DIR", description = "Same as ROOT. Default: /sysroot.")
    Path rootOption;

    @Option(names = "--cmdline", paramLabel = "FILE", description = "The kernel command line. Default: /proc/cmdline.")
    Path cmdline = BootOptions.DEFAULT_CMDLINE;

    @Option(names = "--key-file", paramLabel = "FILE",
            description = "The image key (32 bytes or 64 hex digits), instead of the node API's. Without either,"
                    + " only unencrypted images boot.")
    Path keyFile;

    @Option(names = "--addon", paramLabel = "FILE", description = "The addon profile. Default: /etc/tether/profile.json.")
    Path addon = AddonProfile.DEFAULT_PATH;

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Where the agent mounts the image and the writable layer. Default: /run/tether.")
    Path runDir = BootOptions.DEFAULT_RUN_DIR;

    @Option(names = "--manifest-timeout", paramLabel = "SECONDS",
            description = "How long the edges may take to serve the manifest. Default: 120.")
    long manifestTimeoutSeconds = BootOptions.DEFAULT_MANIFEST_PATIENCE.toSeconds();

    @Option(names = "--node-api-ca", paramLabel = "FILE",
            description = "The cluster CA certificate the node API's certificate must be signed by."
                    + " Default: /etc/tether/node-api-ca.pem.")
    Path nodeApiCa = BootOptions.DEFAULT_NODE_API_CA;

    @Option(names = "--ready-file", paramLabel = "FILE", hidden = true,
            description = "Written when the root is ready; the launcher (bin/tether-agent), which supervises this"
                    + " process, waits for it.")
    Path readyFile;

    @Option(names = "--debug", description = "Print stack traces under failures, as tether.debug does.")
    boolean debug;

    private final AgentServices services;
    private final AgentConsole console;

    public BootCommand(AgentServices services, AgentConsole console) {
        this.services = services;
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        if (rootArgument != null && rootOption != null && !rootArgument.equals(rootOption)) {
            console.error("ROOT " + rootArgument + " and --root " + rootOption + " differ; give one of them");
            return TetherAgent.USAGE_ERROR;
        }
        Path target = rootOption != null ? rootOption : rootArgument != null ? rootArgument : BootOptions.DEFAULT_TARGET;
        console.configure(debug, true);
        BootOptions options = new BootOptions(target, cmdline, addon, runDir, Duration.ofSeconds(manifestTimeoutSeconds),
                nodeApiCa);
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
        return 0;
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
