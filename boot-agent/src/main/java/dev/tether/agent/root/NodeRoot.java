package dev.tether.agent.root;

import com.sun.jna.Native;
import dev.tether.agent.Libc;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The root the node runs on, as a process that stays behind in the initramfs can reach it. The initramfs moves
 * {@code /run} (and {@code /proc}, {@code /sys}, {@code /dev}) into the node's root, then switches to it (run-init,
 * switch_root): it mounts the root over the initramfs's {@code /} and changes only its own root. A process left
 * behind keeps the initramfs's emptied {@code /}, where none of those paths resolve any more. Its descriptors still
 * work, and one held on {@code /run} from before the switch leads to the node's root after it: {@code /run}'s parent
 * is then the node's {@code /}.
 *
 * <p>An untethered agent that serves the root until the image is all in RAM ends long after the switch: entering the
 * node's root lets it unmount its FUSE file by its path, and its runtime goes through the held {@code /run} whether
 * the switch happened yet or not.
 */
public final class NodeRoot {
    /** For a process that is not in an initramfs (tests, a boot elsewhere): it has no other root to enter. */
    public static final NodeRoot STAY = new NodeRoot(null, -1);

    private final Path run;
    private final int runFd;

    private NodeRoot(Path run, int runFd) {
        this.run = run;
        this.runFd = runFd;
    }

    /**
     * Holds {@code run}, the mount the initramfs moves into the node's root, from now on; {@link #STAY} when it is not
     * a mount of its own (nothing would be moved: the process is not in an initramfs).
     */
    public static NodeRoot holding(Path run) {
        try {
            if (!Mounter.isMountPoint(run)) {
                return STAY;
            }
        } catch (IOException e) {
            return STAY;
        }
        int fd = Libc.get().open(run.toString(), Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        return fd < 0 ? STAY : new NodeRoot(run, fd);
    }

    /**
     * Makes the root of the filesystem that holds the held {@code /run} this process's root and working directory: the
     * node's root once the initramfs has switched to it, the initramfs's own before. Nothing for {@link #STAY}.
     */
    public void enter() throws IOException {
        if (runFd < 0) {
            return;
        }
        Libc libc = Libc.get();
        // "..": from the root of /run's mount to the directory it is mounted on, in whichever root holds it now.
        int rootFd = libc.openat(runFd, "..", Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (rootFd < 0) {
            throw new IOException("cannot find the root that holds " + run + ": " + Libc.failure(Native.getLastError()));
        }
        try {
            if (libc.fchdir(rootFd) != 0 || libc.chroot(".") != 0 || libc.chdir("/") != 0) {
                throw new IOException("cannot enter the root that holds " + run + ": " + Libc.failure(Native.getLastError()));
            }
        } finally {
            libc.close(rootFd);
        }
    }

    /**
     * Detaches the mount at {@code mountPoint} (it goes once nothing uses it: a process's own runtime, when that process
     * ends), reached through the held {@code /run} when it lies under it, wherever the initramfs moved that.
     * Changes the working directory.
     */
    public void detach(Path mountPoint) throws IOException {
        Libc libc = Libc.get();
        String path = mountPoint.toString();
        if (runFd >= 0 && mountPoint.startsWith(run) && !mountPoint.equals(run)) {
            if (libc.fchdir(runFd) != 0) {
                throw new IOException("cannot reach " + run + ": " + Libc.failure(Native.getLastError()));
            }
            path = run.relativize(mountPoint).toString();
        }
        if (libc.umount2(path, Libc.MNT_DETACH) != 0) {
            throw new IOException("cannot detach " + mountPoint + ": " + Libc.failure(Native.getLastError()));
        }
    }
}
