package dev.tether.agent.root;

import java.nio.file.Path;

/**
 * The image's squashfs, loop-mounted read-only: the overlay's lower layer. {@code mount -o loop} sets up
 * the loop device with autoclear, so unmounting also frees the loop device.
 */
public final class SquashfsLower extends MountedFilesystem {

    private SquashfsLower(Path mountPoint, Mounter mounter) {
        super(mountPoint, mounter);
    }

    public static SquashfsLower mount(Path squashfsFile, Path mountPoint, Mounter mounter) throws RootSetupException {
        SquashfsLower lower = new SquashfsLower(mountPoint, mounter);
        lower.mount("squashfs", "ro,loop", squashfsFile.toString(),
                "the initramfs must contain the loop and squashfs kernel modules, and " + squashfsFile
                        + " must be a squashfs image");
        return lower;
    }
}
