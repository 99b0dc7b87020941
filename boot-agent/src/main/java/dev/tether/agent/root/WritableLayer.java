package dev.tether.agent.root;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The root's writable layer: xfs on a zram device, mounted with {@code discard} so that a deleted file's
 * blocks are discarded and zram frees the compressed pages that held them. It holds the overlay's upper
 * and work directories. Its content lives in RAM and is gone at reboot.
 */
public final class WritableLayer implements Closeable {
    private static final String MOUNT_OPTIONS = "discard,noatime";

    private final ZramDevice device;
    private final Path mountPoint;
    private final Mounter mounter;
    private boolean mounted;

    private WritableLayer(ZramDevice device, Path mountPoint, Mounter mounter) {
        this.device = device;
        this.mountPoint = mountPoint;
        this.mounter = mounter;
    }

    /** Claims and sizes a zram device, formats it and mounts it on {@code mountPoint}. */
    public static WritableLayer create(ZramSettings settings, long memTotalBytes, Path mountPoint, Mounter mounter)
            throws RootSetupException {
        long bytes = settings.size().bytes(memTotalBytes);
        if (bytes < XfsFormatter.MIN_BYTES) {
            throw new RootSetupException("the writable layer would be " + (bytes >> 20) + " MiB (" + settings.size()
                    + "), below xfs's minimum of " + (XfsFormatter.MIN_BYTES >> 20) + " MiB; raise tether.zram"
                    + " or the profile's zram size");
        }
        ZramDevice device = ZramDevice.claim(settings.algorithm(), bytes, mounter);
        WritableLayer layer = new WritableLayer(device, mountPoint, mounter);
        try {
            new XfsFormatter(mounter.tools()).format(device.devicePath());
            mounter.mount("xfs", MOUNT_OPTIONS, device.devicePath().toString(), mountPoint,
                    "the initramfs must contain the xfs kernel module");
            layer.mounted = true;
            Files.createDirectories(layer.upperDir());
            Files.createDirectories(layer.workDir());
            return layer;
        } catch (IOException e) {
            layer.closeAfterFailure();
            throw e instanceof RootSetupException setup ? setup
                    : new RootSetupException("cannot prepare the writable layer on " + mountPoint + ": " + e.getMessage(), e);
        }
    }

    public ZramDevice device() {
        return device;
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /** Where the overlay puts everything written to the root. */
    public Path upperDir() {
        return mountPoint.resolve("upper");
    }

    /** The overlay's scratch directory; it must be on the same filesystem as the upper directory. */
    public Path workDir() {
        return mountPoint.resolve("work");
    }

    /** Unmounts the filesystem and resets the device, giving all its memory back. */
    @Override
    public void close() throws RootSetupException {
        if (mounted) {
            mounter.unmount(mountPoint);
            mounted = false;
        }
        device.close();
    }

    private void closeAfterFailure() {
        try {
            close();
        } catch (RootSetupException ignored) {
            // The failure that brought us here is the one to report.
        }
    }
}
