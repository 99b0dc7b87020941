package dev.tether.agent.root;

import java.nio.file.Path;

/**
 * The image's squashfs, loop-mounted read-only: the overlay's lower layer. Its loop device is made with autoclear,
 * so unmounting also frees it.
 *
 * <p>A tethered root's loop device reads its file with direct I/O (issue #16). The file is the agent's FUSE
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
    /** Held only for a file the root moves off later ({@link #mountMovable}). */
    private LoopDevice movable;

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
        return mount(squashfsFile, mountPoint, mounter, directIo, false);
    }

    /**
     * Mounts a FUSE file as a tethered root's is mounted, keeping its loop device so that {@link #moveTo} can put it
     * onto a copy of the same bytes later: an untethered image is served from the edges until its copy in RAM is
     * complete.
     */
    public static SquashfsLower mountMovable(Path squashfsFile, Path mountPoint, Mounter mounter) throws RootSetupException {
        return mount(squashfsFile, mountPoint, mounter, true, true);
    }

    private static SquashfsLower mount(Path squashfsFile, Path mountPoint, Mounter mounter, boolean directIo,
                                       boolean movable) throws RootSetupException {
        SquashfsLower lower = new SquashfsLower(mountPoint, mounter);
        LoopDevice loop = lower.mountFile("squashfs", squashfsFile, directIo,
                "the initramfs must contain the squashfs kernel module, and " + squashfsFile + " must be a squashfs image");
        // Without direct I/O the root works as before, it only fetches more.
        lower.readPath = readPath(loop, directIo);
        if (movable) {
            lower.movable = loop;
        } else {
            loop.close();
        }
        return lower;
    }

    private static String readPath(LoopDevice loop, boolean directIo) {
        return loop.readsWithDirectIo() ? "direct I/O"
                : directIo ? "the page cache (the file takes no direct I/O)" : "the page cache";
    }

    /**
     * Moves the mounted squashfs onto {@code copy}, a file with the same bytes as the one it was mounted from, which is
     * then no longer read (see {@link LoopDevice#changeBackingFile}). Once only.
     */
    public void moveTo(Path copy) throws RootSetupException {
        if (movable == null) {
            throw new IllegalStateException("the squashfs at " + mountPoint() + " was not mounted to be moved");
        }
        try {
            movable.changeBackingFile(copy);
            readPath = readPath(movable, false);
        } finally {
            movable.close();
            movable = null;
        }
    }

    @Override
    public void close() throws RootSetupException {
        if (movable != null) {
            movable.close();
            movable = null;
        }
        super.close();
    }

    /** How the loop device reads the image file, for the console: direct I/O, or the page cache and why. */
    public String readPath() {
        return readPath;
    }
}
