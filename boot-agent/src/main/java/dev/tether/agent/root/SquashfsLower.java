package dev.tether.agent.root;

import java.io.Closeable;
import java.nio.file.Path;

/**
 * The image's squashfs, loop-mounted read-only: the overlay's lower layer. {@code mount -o loop} sets up
 * the loop device with autoclear, so unmounting also frees the loop device.
 */
public final class SquashfsLower implements Closeable {
    private final Path mountPoint;
    private final Mounter mounter;
    private boolean mounted;

    private SquashfsLower(Path mountPoint, Mounter mounter) {
        this.mountPoint = mountPoint;
        this.mounter = mounter;
    }

    public static SquashfsLower mount(Path squashfsFile, Path mountPoint, Mounter mounter) throws RootSetupException {
        SquashfsLower lower = new SquashfsLower(mountPoint, mounter);
        mounter.mount("squashfs", "ro,loop", squashfsFile.toString(), mountPoint,
                "the initramfs must contain the loop and squashfs kernel modules, and " + squashfsFile
                        + " must be a squashfs image");
        lower.mounted = true;
        return lower;
    }

    public Path mountPoint() {
        return mountPoint;
    }

    @Override
    public void close() throws RootSetupException {
        if (mounted) {
            mounter.unmount(mountPoint);
            mounted = false;
        }
    }
}
