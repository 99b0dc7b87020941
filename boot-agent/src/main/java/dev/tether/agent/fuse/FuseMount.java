package dev.tether.agent.fuse;

import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import dev.tether.agent.root.DeviceNumber;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A {@link SingleFileFilesystem} mounted read-only through libfuse 3, served by libfuse's multi-threaded
 * loop on a thread of its own until {@link #close()}.
 *
 * <p>Options: {@code kernel_cache} and long attribute timeouts, because the file never changes;
 * {@code auto_unmount} when {@code fusermount3} is installed (libfuse needs it for that), so a dead agent in
 * a test leaves no hung mount. The initramfs leaves fusermount3 out on purpose: a node's root lives until
 * power-off, and auto_unmount's helper process is one that systemd cannot stop at shutdown.
 */
public final class FuseMount implements Closeable {
    private static final int READ_AHEAD_KB = 4096;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final List<Path> FUSERMOUNT = List.of(Path.of("/usr/bin/fusermount3"), Path.of("/bin/fusermount3"));

    private final Fuse3 fuse3;
    private final Pointer fuse;
    private final Path mountPoint;
    private final Thread loop;
    /** Referenced so the callbacks are not collected while libfuse holds their addresses. */
    private final SingleFileFilesystem filesystem;
    private boolean closed;

    private FuseMount(Fuse3 fuse3, Pointer fuse, Path mountPoint, SingleFileFilesystem filesystem) {
        this.fuse3 = fuse3;
        this.fuse = fuse;
        this.mountPoint = mountPoint;
        this.filesystem = filesystem;
        this.loop = Thread.ofPlatform().name("fuse-loop").daemon(true).unstarted(() -> fuse3.fuse_loop_mt_31(fuse, 0));
    }

    /** Mounts {@code file} as {@code mountPoint/fileName}; the mount point must be an existing directory. */
    public static FuseMount mount(Path mountPoint, String fileName, ReadOnlyFile file) throws IOException {
        if (!Files.isDirectory(mountPoint)) {
            throw new IOException("cannot mount the root image at " + mountPoint + ": not a directory");
        }
        Fuse3 fuse3 = Fuse3.load();
        SingleFileFilesystem filesystem = new SingleFileFilesystem(fileName, file);
        String options = "ro,fsname=tether-root,subtype=tether,kernel_cache,attr_timeout=86400,entry_timeout=86400,"
                + "negative_timeout=86400" + (autoUnmountAvailable() ? ",auto_unmount" : "");
        FuseArgs args = new FuseArgs("tether-agent", "-o", options);
        FuseOperations operations = filesystem.operations();
        Pointer fuse = fuse3.fuse_new_31(args, operations, new NativeLong(operations.size()), null);
        if (fuse == null) {
            throw new IOException("libfuse refused the mount options " + options + " (see its message above)");
        }
        if (fuse3.fuse_mount(fuse, mountPoint.toString()) != 0) {
            fuse3.fuse_destroy(fuse);
            throw new IOException("cannot mount FUSE at " + mountPoint + ": this needs /dev/fuse (modprobe fuse) and "
                    + "root, or fusermount3");
        }
        FuseMount mount = new FuseMount(fuse3, fuse, mountPoint, filesystem);
        mount.loop.start();
        raiseReadAhead(mountPoint);
        return mount;
    }

    /**
     * The kernel reads a FUSE file ahead by only 128 KiB by default, one request at a time, and each
     * request is a round trip through libfuse and JNA: the loop device reading the squashfs then waits on
     * every one of them. A larger window lets the kernel send several requests of up to 1 MiB at once,
     * which the file (read-ahead of its own, from all edges) answers in parallel. Best effort: without
     * sysfs the mount works as before. The root's loop device reads with direct I/O, past this window
     * ({@link dev.tether.agent.root.SquashfsLower}); it serves a loop device that could not switch, and other readers.
     */
    static void raiseReadAhead(Path mountPoint) {
        try {
            Path readAhead = Path.of("/sys/class/bdi/" + DeviceNumber.ofFileSystemAt(mountPoint) + "/read_ahead_kb");
            if (Files.isWritable(readAhead)) {
                Files.writeString(readAhead, Integer.toString(READ_AHEAD_KB));
            }
        } catch (IOException | RuntimeException e) {
            // Keep the kernel's default.
        }
    }

    static boolean autoUnmountAvailable() {
        return FUSERMOUNT.stream().anyMatch(Files::isExecutable);
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /**
     * Stops serving and unmounts (lazily, as libfuse does for root, so a still-open file does not block
     * this). Whatever still uses the file gets errors from now on: unmount the squashfs first.
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        fuse3.fuse_exit(fuse);
        fuse3.fuse_unmount(fuse);
        try {
            loop.join(STOP_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (loop.isAlive()) {
            // Destroying under running workers would crash the process; leaking the session does not.
            throw new IOException("the FUSE loop for " + mountPoint + " did not stop within " + STOP_TIMEOUT.toSeconds()
                    + " s after unmount");
        }
        fuse3.fuse_destroy(fuse);
    }
}
