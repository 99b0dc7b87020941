package dev.tether.agent;

import dev.tether.nodeapi.NodeApi;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Where the boot reads its inputs and builds the root. The defaults are the initramfs's; tests point them
 * at temporary directories.
 *
 * @param target where the root is mounted for the image's init ({@code /sysroot}, dracut's {@code $NEWROOT})
 * @param runDir the agent's mounts (image, lower, writable layer) and its timings file; under {@code /run} so
 *     that the initramfs moves them into the booted system
 * @param manifestPatience how long the edges may take to serve the manifest before the boot gives up
 * @param nodeApiCa the cluster CA certificate (PEM) the node API's certificate must be signed by
 * @param initramfsReady a file the initramfs writes once its drivers are loaded and its network is configured: it
 *     starts the agent before, so that the JVM starts meanwhile, and the boot waits for the file before its first step
 */
public record BootOptions(Path target, Path cmdlineFile, Path addonFile, Path runDir, Duration manifestPatience,
        Path nodeApiCa, Optional<Path> initramfsReady) {
    public static final Path DEFAULT_NODE_API_CA = Path.of(NodeApi.CA_CERTIFICATE_PATH);
    public static final Path DEFAULT_TARGET = Path.of("/sysroot");
    public static final Path DEFAULT_CMDLINE = Path.of("/proc/cmdline");
    public static final Path DEFAULT_RUN_DIR = Path.of("/run/tether");
    public static final Duration DEFAULT_MANIFEST_PATIENCE = Duration.ofMinutes(2);
    /**
     * How long the initramfs may take to say it is ready: initramfs-tools' configure_networking waits up to 180 s for
     * a network device and then retries DHCP for several minutes more before it gives up.
     */
    public static final Duration INITRAMFS_PATIENCE = Duration.ofMinutes(15);

    Path imageDir() {
        return runDir.resolve("image");
    }

    Path lowerDir() {
        return runDir.resolve("lower");
    }

    Path writableDir() {
        return runDir.resolve("rw");
    }

    Path timingsFile() {
        return runDir.resolve("boot-timings.json");
    }
}
