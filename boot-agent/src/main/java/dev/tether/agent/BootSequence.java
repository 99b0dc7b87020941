package dev.tether.agent;

import dev.tether.agent.identity.NodeIdentityWriter;
import dev.tether.agent.persistence.NodePersistence;
import dev.tether.agent.root.MemoryInfo;
import dev.tether.agent.root.Mounter;
import dev.tether.agent.root.OverlayRoot;
import dev.tether.agent.root.PersistenceHook;
import dev.tether.agent.root.RamDisk;
import dev.tether.agent.root.RootLayout;
import dev.tether.agent.root.RootSetupException;
import dev.tether.agent.root.SquashfsLower;
import dev.tether.agent.root.WritableLayer;
import dev.tether.agent.trace.BootTraceRecording;
import dev.tether.agent.trace.TraceWindow;
import dev.tether.agent.trust.HardwareIdentity;
import dev.tether.agent.trust.NodeApiCa;
import dev.tether.agent.trust.NodeApiClient;
import dev.tether.agent.trust.NodeTrust;
import dev.tether.agent.trust.Registration;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.ImageFormatException;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.Manifest;
import dev.tether.image.format.RootImagePin;
import dev.tether.nodeapi.BootConfiguration;
import dev.tether.nodeapi.BootReport;
import dev.tether.nodeapi.NodeApi;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The boot, step by step: read the kernel command line and the addon profile; with a node API, get the API
 * key and the boot configuration; check the tools, resolve the root image from the manifest, get the image
 * key, mount the image, loop-mount its squashfs, build the zram writable layer, mount the overlay at the
 * target; with a node API, restore the node's kept paths and arm their saver (persistence/NodePersistence), write the
 * node's host name and node files, install fresh SSH host keys and their certificates; run the persistence hook;
 * with a node API, report the boot once the root is handed over ({@link BootedRoot#handOver}). Each step is timed; a
 * failing step undoes the ones before it and is reported as one line.
 */
public final class BootSequence {
    /** What the root is built with; checked first, so a broken initramfs fails before any download. */
    private static final List<String> TOOLS = List.of("mkfs.xfs");
    /** Room beyond the squashfs in the untethered tmpfs, for the data plane's own files. */
    private static final long RAM_DISK_SLACK = 16L << 20;

    private final BootOptions options;
    private final AgentConsole console;
    private final AgentServices services;
    private final Optional<ImageKeyProvider> explicitKeys;
    private final HttpClient http;

    /**
     * @param explicitKeys the image key given by hand ({@code --key-file}); it wins over the node API's. Without
     *     either, only unencrypted images boot.
     */
    public BootSequence(BootOptions options, AgentConsole console, AgentServices services,
            Optional<ImageKeyProvider> explicitKeys, HttpClient http) {
        this.options = options;
        this.console = console;
        this.services = services;
        this.explicitKeys = explicitKeys;
        this.http = http;
    }

    /** Builds the root; on failure everything set up so far is taken down again. */
    public BootedRoot run() throws BootFailure {
        BootTimeline timeline = new BootTimeline();
        BootedRoot root = new BootedRoot();
        try {
            build(timeline, root);
            return root;
        } catch (BootFailure e) {
            undo(root);
            throw e;
        } catch (RuntimeException e) {
            undo(root);
            throw new BootFailure("internal", "internal error: " + BootTimeline.oneLine(e)
                    + " (boot with tether.debug for the stack trace, and report it)", e);
        }
    }

    private void build(BootTimeline timeline, BootedRoot root) throws BootFailure {
        if (options.initramfsReady().isPresent()) {
            timeline.run("initramfs", () -> {
                InitramfsReady.await(options.initramfsReady().get(), BootOptions.INITRAMFS_PATIENCE);
                return null;
            });
        }
        KernelCommandLine cmdline = timeline.run("cmdline", () -> {
            String text = Files.readString(options.cmdlineFile());
            // tether.debug must apply to a command line that fails to parse, too.
            console.configure(KernelCommandLine.parameters(text).containsKey("tether.debug"), true);
            return KernelCommandLine.parse(text);
        });
        console.configure(cmdline.debug(), cmdline.console().orElse(ConsoleMode.KMSG) == ConsoleMode.KMSG);
        if (!cmdline.unknownKeys().isEmpty()) {
            console.info("ignoring unknown kernel parameters " + String.join(", ", cmdline.unknownKeys())
                    + " (a newer operator's? update the image to get a newer agent)");
        }
        Addon addon = timeline.run("addon", () -> {
            Optional<AddonProfile> profile = AddonProfile.read(options.addonFile());
            return new Addon(profile, BootConfig.merge(cmdline, profile, options.addonFile()));
        });
        if (cmdline.discover().isPresent()) {
            // An unknown machine (issue 20): register, wait to be enrolled, then reboot as the node it became.
            String bootMac = cmdline.discover().get();
            String enrolledAs = timeline.run("register", () -> register(addon.config(), bootMac));
            throw new MachineEnrolled(enrolledAs);
        }
        // With a node API: the API key (TPM or network, then PCR 15 locked), and the node's boot configuration.
        Optional<Trusted> trusted = Optional.empty();
        BootConfig config = addon.config();
        if (!addon.config().nodeApi().isEmpty()) {
            NodeTrust trust = timeline.run("apikey", () -> startTrust(addon.config()));
            Trusted node = timeline.run("bootconfig", () -> {
                BootConfiguration remote = trust.bootConfiguration(addon.config().tpmPolicy());
                return new Trusted(trust, remote, BootConfig.merge(cmdline, addon.profile(), options.addonFile(),
                        Optional.of(remote)));
            });
            trusted = Optional.of(node);
            config = node.config();
            if (cmdline.method().isPresent() && cmdline.method().get() != config.method()) {
                console.info("ignoring tether.method=" + cmdline.method().get().value() + ": the node API's boot"
                        + " configuration says " + config.method().value() + ", and only it decides how the image is read");
            }
        }
        console.info("node " + config.node().orElse("(unnamed)") + ", profile " + config.profile().orElse("(none)")
                + ", " + config.method().value() + " from " + config.edges().size() + " edge"
                + (config.edges().size() == 1 ? "" : "s"));

        Mounter mounter = timeline.run("preflight", () -> {
            for (String tool : TOOLS) {
                services.tools().require(tool);
            }
            return new Mounter(services.tools());
        });
        BootConfig booting = config;
        ResolvedImage resolved = timeline.run("manifest", () -> resolve(booting));
        ImageKeyProvider keys = explicitKeys.orElse(trusted.map(t -> t.trust().imageKeys()).orElse(ImageKeyProvider.NONE));
        Optional<ImageKey> key = timeline.run("key", () -> {
            if (resolved.manifest().isPresent() && !isEncrypted(resolved.manifest().get())) {
                return Optional.<ImageKey>empty();
            }
            Optional<ImageKey> found = keys.imageKey(booting);
            if (resolved.manifest().isPresent()) {
                checkKey(booting.image().orElseThrow(), resolved.manifest().get(), found);
            }
            return found;
        });

        // The writable layer needs nothing from the image, so zram and mkfs.xfs run beside the image's mount, which
        // mostly waits on the edges (untethered, on the whole image's download). Not before the manifest and the key
        // are known good: a boot that cannot go on stops before it touches the machine.
        BackgroundStep<WritableLayer> writableStep = root.add(timeline.background("writable",
                () -> WritableLayer.create(booting.zram(), MemoryInfo.memTotalBytes(), options.writableDir(), mounter)));
        Path imageDir = options.imageDir();
        if (config.method() == ImageMethod.UNTETHERED) {
            // Without a manifest the size is unknown; tmpfs only uses what is written, so half of RAM is a ceiling.
            root.add(timeline.run("ramdisk", () -> RamDisk.mount(imageDir,
                    resolved.squashfsBytes().orElse(MemoryInfo.memTotalBytes() / 2) + RAM_DISK_SLACK, mounter)));
        }
        RootImageSource.MountedImage image = root.add(timeline.run("image", () -> services.images().open(
                new RootImageSource.Request(booting.method(), booting.edges(), resolved.rootImageDigest(), resolved.pin(),
                        key, imageDir, console))));
        console.info("mounted image " + ContentDigest.shortForm(config.image().orElse(resolved.rootImageDigest())) + " "
                + config.method().value() + " from " + config.edges().size() + " edge"
                + (config.edges().size() == 1 ? "" : "s") + " in " + seconds(last(timeline)));

        SquashfsLower lower = root.add(timeline.run("lower", () -> image.fillsRam()
                ? SquashfsLower.mountMovable(image.squashfsFile(), options.lowerDir(), mounter)
                : SquashfsLower.mount(image.squashfsFile(), options.lowerDir(), mounter, image.servedByThisProcess())));
        console.info("squashfs mounted, its loop device reads the image through " + lower.readPath());
        WritableLayer writable = writableStep.join();
        console.info("writable layer: " + describe(writable) + ", xfs with discard at " + writable.mountPoint()
                + " in " + seconds(last(timeline)));
        root.add(timeline.run("overlay", () -> OverlayRoot.mount(lower, writable, options.target(), mounter)));

        RootLayout layout = new RootLayout(options.target(), lower.mountPoint(), writable.upperDir());
        Optional<Trusted> keeping = trusted.filter(t -> !booting.persistencePaths().isEmpty());
        // First into the new root: the node files and SSH files the agent writes next win over anything restored.
        timeline.run("persistence", () -> {
            if (keeping.isPresent()) {
                NodeTrust trust = keeping.get().trust();
                new NodePersistence(options.runDir().resolve(NodePersistence.SESSION_DIR), console).restore(trust.api(),
                        trust.persistenceKey(), trust.enrolledCa().pem(), booting.nodeApi(), options.target(),
                        booting.persistencePaths());
            }
            services.persistence().rootReady(layout, booting.persistencePaths());
            return null;
        });
        if (trusted.isPresent()) {
            // Into the overlay, so into the writable layer: fresh at every boot, never in the image.
            Trusted node = trusted.get();
            // Before the SSH files, so what the agent writes for trust is never left overwritten by a node file.
            timeline.run("identity", () -> {
                new NodeIdentityWriter(options.target(), console).apply(node.remote().identity());
                return null;
            });
            timeline.run("ssh", () -> {
                node.trust().installSsh(options.target(), node.remote());
                return null;
            });
        }
        root.finish(layout, timeline, image);
        if (image.fillsRam()) {
            // Before the report, which then tells what the whole copy fetched.
            root.whenHandedOver(() -> untether(image, lower));
        }
        if (trusted.isPresent()) {
            // After the root is handed over: the image's init needs nothing from the report, and a report that fails
            // never fails the boot. Nothing may escape from here: a tethered agent that ended now would take the
            // node's root with it.
            Trusted node = trusted.get();
            root.whenHandedOver(() -> {
                try {
                    node.trust().report(timeline.steps(), booting.image().orElse(resolved.rootImageDigest()),
                            booting.method().value(), image.fetchStats().orElse(null),
                            image.servedByThisProcess() ? AgentFootprint.report(console).orElse(null) : null);
                } catch (RuntimeException e) {
                    console.warn("the boot report was not sent (" + BootTimeline.oneLine(e) + "); the node boots on");
                    console.debug(e);
                }
            });
        }
        writeTimings(timeline);
        Optional<NodeTrust> reporter = trusted.map(Trusted::trust);
        String bootedDigest = booting.image().orElse(resolved.rootImageDigest());
        Optional<BootTraceRecording> recording = image.readTrace();
        if (recording.isPresent()) {
            try {
                recording.get().finishInBackground(TraceWindow.DEFAULT, options.runDir(),
                        // Only an image named by the node API has a DisklessImage to keep the list with.
                        files -> reporter.filter(r -> booting.image().isPresent())
                                .ifPresent(r -> r.reportBootFiles(bootedDigest, files)),
                        console::info);
            } catch (IOException e) {
                console.info("not recording the boot's reads of the root image: " + e.getMessage());
            }
        }
        console.info("root ready at " + options.target() + " in " + seconds(timeline.totalMillis()) + " ("
                + timeline.steps().stream().map(step -> step.name() + " " + step.millis() + "ms")
                        .collect(Collectors.joining(", ")) + ")");
    }

    /**
     * An untethered image the node booted from before it was all in RAM: copies it into RAM behind the running node,
     * moves the squashfs onto the copy and lets the edges go. Never throws: a copy that fails leaves the node served
     * from the edges, as a tethered node is.
     */
    private void untether(RootImageSource.MountedImage image, SquashfsLower lower) {
        long started = System.nanoTime();
        long bytes;
        try {
            Path copy = image.fillRam();
            // The initramfs switched to the node's root long ago: from here on paths are the node's.
            services.nodeRoot().enter();
            bytes = Files.size(copy);
            lower.moveTo(copy);
        } catch (IOException | RuntimeException e) {
            console.warn("the root image stays served from the edges, not in RAM: " + BootTimeline.oneLine(e));
            console.debug(e);
            return;
        }
        try {
            image.stopServing();
        } catch (IOException | RuntimeException e) {
            // The root reads the copy already; what is left of the FUSE file ends with this process.
            console.warn("the root image's FUSE file did not stop cleanly: " + BootTimeline.oneLine(e));
            console.debug(e);
        }
        console.info("untethered: the root image is in RAM (" + (bytes >> 20) + " MiB, copied in "
                + seconds(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
                + " behind the running node); the node no longer needs the edges");
    }

    /** Registers this unknown machine with the addon's profile through its node API, until it is enrolled. */
    private String register(BootConfig local, String bootMac) throws Exception {
        String profile = local.profile().orElseThrow(() -> new BootConfigException("tether.discover= needs the profile to"
                + " register with (tether.profile=); the edge's discovery script names it"));
        String namespace = local.namespace().orElseThrow(() -> new BootConfigException("the addon profile "
                + options.addonFile() + " names no namespace, so this machine cannot register; fetch the addon archive"
                + " again from an edge's /boot/<profile>/addon.cpio"));
        if (local.nodeApi().isEmpty()) {
            throw new BootConfigException("the addon profile " + options.addonFile() + " lists no node API URL to register"
                    + " this machine with");
        }
        NodeApiCa ca = NodeApiCa.read(options.nodeApiCa());
        NodeApiClient api = new NodeApiClient(local.nodeApi(), namespace, null, ca.tls(NodeApi.SERVER_NAME).context(),
                services.nodeApi(), services.sleeper(), console);
        return new Registration(api, profile, services.tpm(), HardwareIdentity.SYSFS, console, services.sleeper(),
                Registration.INTERVAL).untilEnrolled(bootMac);
    }

    /** The node API client for the addon's URLs, trusting only the cluster CA; then the API key. */
    private NodeTrust startTrust(BootConfig local) throws Exception {
        String node = local.node().orElseThrow(() -> new BootConfigException("the profile has a node API but the kernel"
                + " command line has no tether.node=, so the node cannot say who it is; check the node's iPXE script"
                + " (GET /boot/ipxe?mac=...)"));
        String namespace = local.namespace().orElseThrow(() -> new BootConfigException("the addon profile "
                + options.addonFile() + " lists node API URLs but no namespace; fetch the addon archive again from an"
                + " edge's /boot/<profile>/addon.cpio"));
        for (URI url : local.nodeApi()) {
            if (!url.getScheme().equals("https")) {
                throw new BootConfigException("the addon profile's node API URL " + url + " is not https; the node API"
                        + " is only spoken over TLS");
            }
        }
        NodeApiCa ca = NodeApiCa.read(options.nodeApiCa());
        NodeApiClient api = new NodeApiClient(local.nodeApi(), namespace, node, ca.tls(NodeApi.SERVER_NAME).context(),
                services.nodeApi(), services.sleeper(), console);
        return NodeTrust.start(api, ca, local.tpmPolicy(), services.tpm(), services.hardware(), console);
    }

    private ResolvedImage resolve(BootConfig config) throws IOException, BootConfigException {
        if (config.rootImage().isPresent()) {
            return new ResolvedImage(config.rootImage().get(), Optional.empty(), Optional.empty(), Optional.empty());
        }
        String imageDigest = config.image().orElseThrow();
        Manifest manifest = new ManifestResolver(http, options.manifestPatience(), console).fetch(config.edges(), imageDigest);
        RootImagePin pin;
        try {
            pin = RootImagePin.of(manifest);
        } catch (ImageFormatException e) {
            throw new BootConfigException("the image " + ContentDigest.shortForm(imageDigest) + " cannot be booted safely: "
                    + e.getMessage(), e);
        }
        Manifest.Artifact squashfs = manifest.squashfs();
        console.info("image " + ContentDigest.shortForm(imageDigest) + ": " + manifest.distribution() + " " + manifest.release()
                + ", kernel " + manifest.kernelVersion() + ", root image " + ContentDigest.shortForm(manifest.rootImage().digest())
                + " (" + gib(squashfs.size()) + (isEncrypted(manifest) ? ", encrypted)" : ", not encrypted)"));
        return new ResolvedImage(manifest.rootImage().digest(), Optional.of(squashfs.size()), Optional.of(manifest),
                Optional.of(pin));
    }

    /** A missing or wrong key is known from the manifest; saying so now beats a failed read in the mount. */
    private static void checkKey(String imageDigest, Manifest manifest, Optional<ImageKey> key) throws BootConfigException {
        if (!isEncrypted(manifest)) {
            return;
        }
        if (key.isEmpty()) {
            throw new BootConfigException("the image " + ContentDigest.shortForm(imageDigest) + " is encrypted and there is no"
                    + " image key; give one with --key-file");
        }
        String wanted = manifest.encryption().keyId();
        if (wanted != null && !wanted.equalsIgnoreCase(key.get().keyIdHex())) {
            throw new BootConfigException("the image key (id " + key.get().keyIdHex() + ") is not this image's key (id "
                    + wanted + "); check that the key belongs to the image the profile boots");
        }
    }

    private static boolean isEncrypted(Manifest manifest) {
        return manifest.encryption() != null && manifest.encryption().encrypted();
    }

    private void writeTimings(BootTimeline timeline) {
        try {
            Files.createDirectories(options.runDir());
            Files.write(options.timingsFile(), timeline.toJson());
        } catch (IOException e) {
            console.info("cannot record the boot timings in " + options.timingsFile() + ": " + e.getMessage());
        }
    }

    private void undo(BootedRoot root) {
        try {
            root.close();
        } catch (IOException e) {
            console.error("while undoing the partial root: " + BootTimeline.oneLine(e));
        }
    }

    private static String describe(WritableLayer writable) {
        try {
            return writable.device().name() + ", " + gib(writable.device().disksize()) + " ("
                    + writable.device().algorithm() + ")";
        } catch (RootSetupException e) {
            return writable.device().name();
        }
    }

    private static long last(BootTimeline timeline) {
        List<BootStep> steps = timeline.steps();
        return steps.get(steps.size() - 1).millis();
    }

    static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1fs", millis / 1000.0);
    }

    static String gib(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30))
                : bytes >= 1L << 20 ? String.format(Locale.ROOT, "%d MiB", bytes >> 20)
                : String.format(Locale.ROOT, "%d KiB", Math.max(1, bytes >> 10));
    }

    /**
     * The root image to mount and, when a manifest named it, its squashfs size (for the untethered tmpfs), the
     * manifest, and what the manifest pins about the container.
     */
    private record ResolvedImage(String rootImageDigest, Optional<Long> squashfsBytes, Optional<Manifest> manifest,
            Optional<RootImagePin> pin) {
    }

    /** The addon profile as read, and the configuration from it and the command line. */
    private record Addon(Optional<AddonProfile> profile, BootConfig config) {
    }

    /** The node's trust session, its boot configuration from the node API, and the configuration merged with it. */
    private record Trusted(NodeTrust trust, BootConfiguration remote, BootConfig config) {
    }
}
