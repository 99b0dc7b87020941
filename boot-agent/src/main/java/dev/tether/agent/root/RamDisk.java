package dev.tether.agent.root;

import java.io.Closeable;
import java.nio.file.Path;

/**
 * A tmpfs of its own for the untethered image: {@code /run} in an initramfs is often capped at a tenth of
 * RAM, far too small for a root image, and a separate mount makes the image's memory visible in df.
 */
public final class RamDisk implements Closeable {
    private final Path mountPoint;
    private final Mounter mounter;
    private boolean mounted;

    private RamDisk(Path mountPoint, Mounter mounter) {
        this.mountPoint = mountPoint;
        this.mounter = mounter;
    }

    /** @param sizeBytes the tmpfs's ceiling; tmpfs uses memory only for what is written */
    public static RamDisk mount(Path mountPoint, long sizeBytes, Mounter mounter) throws RootSetupException {
        RamDisk disk = new RamDisk(mountPoint, mounter);
        mounter.mount("tmpfs", "size=" + sizeBytes + ",mode=0700", "tether-image", mountPoint,
                "the kernel must have tmpfs (CONFIG_TMPFS)");
        disk.mounted = true;
        return disk;
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
