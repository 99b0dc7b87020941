package dev.tether.agent.root;

import java.nio.file.Path;

/**
 * A tmpfs of its own for the untethered image: {@code /run} in an initramfs is often capped at a tenth of
 * RAM, far too small for a root image, and a separate mount makes the image's memory visible in df.
 */
public final class RamDisk extends MountedFilesystem {

    private RamDisk(Path mountPoint, Mounter mounter) {
        super(mountPoint, mounter);
    }

    /** @param sizeBytes the tmpfs's ceiling; tmpfs uses memory only for what is written */
    public static RamDisk mount(Path mountPoint, long sizeBytes, Mounter mounter) throws RootSetupException {
        RamDisk disk = new RamDisk(mountPoint, mounter);
        disk.mount("tmpfs", "size=" + sizeBytes + ",mode=0700", "tether-image", "the kernel must have tmpfs (CONFIG_TMPFS)");
        return disk;
    }
}
