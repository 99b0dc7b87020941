package dev.tether.agent.root;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The image's squashfs, loop-mounted read-only: the overlay's lower layer. {@code mount -o loop} sets up
 * the loop device with autoclear, so unmounting also frees the loop device.
 *
 * <p>A tethered root's loop device then reads its file with direct I/O (issue #16). The file is the agent's FUSE
 * file: read through its page cache, every read the squashfs makes (one compressed block, often a few KiB) would
 * bring the kernel's read-ahead with it, up to the FUSE file's window and growing as soon as two reads touch, and the
 * node would fetch neighbouring files it never opens; each page would also sit twice in the page cache, once
 * compressed under the loop device and once in the file the squashfs gives out. With direct
 * I/O the loop device asks the FUSE file for exactly the blocks the squashfs reads, several at once (asynchronous
 * direct I/O), and the agent's own read-ahead, which stops where a reader stops, is the only one. An untethered root's
 * file lies in RAM (tmpfs) already: it is read as before.
 */
public final class SquashfsLower extends MountedFilesystem {
    private String readPath = "not mounted";

    private SquashfsLower(Path mountPoint, Mounter mounter) {
        super(mountPoint, mounter);
    }

    /** Mounts {@code squashfsFile}, read through the page cache. */
    public static SquashfsLower mount(Path squashfsFile, Path mountPoint, Mounter mounter) throws RootSetupException {
        return mount(squashfsFile, mountPoint, mounter, false);
    }

    /** @param directIo whether its loop device is to read the file with direct I/O (a tethered root's FUSE file) */
    public static SquashfsLower mount(Path squashfsFile, Path mountPoint, Mounter mounter, boolean directIo)
            throws RootSetupException {
        SquashfsLower lower = new SquashfsLower(mountPoint, mounter);
        lower.mount("squashfs", "ro,loop", squashfsFile.toString(),
                "the initramfs must contain the loop and squashfs kernel modules, and " + squashfsFile
                        + " must be a squashfs image");
        lower.readPath = "the page cache";
        if (!directIo) {
            return lower;
        }
        // Best effort: without direct I/O the root works as before, it only fetches more.
        try {
            lower.readPath = useDirectIo(mountPoint, mounter.tools()) ? "direct I/O"
                    : "the page cache (the file takes no direct I/O)";
        } catch (RootSetupException e) {
            lower.readPath = "the page cache (" + e.getMessage() + ")";
        }
        return lower;
    }

    /** How the loop device reads the image file, for the console: direct I/O, or the page cache and why. */
    public String readPath() {
        return readPath;
    }

    /**
     * Switches the loop device under the squashfs mounted at {@code mountPoint} to direct I/O ({@code losetup
     * --direct-io=on}, which the kernel honours only where the file supports it) and says whether it took, as the
     * loop device's {@code dio} attribute tells.
     *
     * @throws RootSetupException when {@code mountPoint} is not on a loop device or losetup is missing
     */
    public static boolean useDirectIo(Path mountPoint, HostTools tools) throws RootSetupException {
        Path loop;
        try {
            loop = Path.of("/sys/dev/block", DeviceNumber.ofFileSystemAt(mountPoint).toString());
        } catch (IOException e) {
            throw new RootSetupException("cannot read the device of " + mountPoint + ": " + e.getMessage(), e);
        }
        Path dio = loop.resolve("loop/dio");
        String device = "/dev/" + deviceName(loop);
        if (!Files.isRegularFile(dio)) {
            throw new RootSetupException(mountPoint + " is not on a loop device (" + loop + " has no loop/dio)");
        }
        tools.run("switching " + device + " to direct I/O", "the initramfs needs util-linux's losetup (the Tether hook"
                + " copies it; klibc's has no --direct-io)", List.of("losetup", "--direct-io=on", device));
        try {
            return Files.readString(dio).strip().equals("1");
        } catch (IOException e) {
            return false;
        }
    }

    private static String deviceName(Path sysBlock) throws RootSetupException {
        try {
            return Files.readAllLines(sysBlock.resolve("uevent")).stream().filter(line -> line.startsWith("DEVNAME="))
                    .map(line -> line.substring("DEVNAME=".length())).findFirst()
                    .orElseThrow(() -> new RootSetupException(sysBlock + "/uevent names no device"));
        } catch (IOException e) {
            throw new RootSetupException("cannot read " + sysBlock + "/uevent: " + e.getMessage(), e);
        }
    }
}
