package dev.tether.agent.fuse;

import static dev.tether.agent.fuse.FuseProtocol.EAGAIN;
import static dev.tether.agent.fuse.FuseProtocol.EINTR;
import static dev.tether.agent.fuse.FuseProtocol.EIO;
import static dev.tether.agent.fuse.FuseProtocol.ENODEV;
import static dev.tether.agent.fuse.FuseProtocol.ENOENT;
import static dev.tether.agent.fuse.FuseProtocol.IN_HEADER_SIZE;
import static dev.tether.agent.fuse.FuseProtocol.OUT_HEADER_SIZE;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import dev.tether.agent.Libc;
import dev.tether.agent.root.DeviceNumber;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link ReadOnlyFile} mounted read-only as the one file of a FUSE filesystem, served from {@code /dev/fuse} by
 * threads of the agent's own until {@link #close()}.
 *
 * <p>Why not libfuse: a tethered root's every block read is a FUSE request, about 1,700 by an emulated node's login,
 * and through libfuse's high-level API each one was a path lookup in libfuse, a JNA callback into the JVM (its
 * arguments boxed and converted, the path decoded into a String), and a buffer wrapped for the call, on top of the
 * kernel's round trip. Here a request is a read(2) into a buffer the thread keeps, a switch on its opcode, the
 * file's read into the answer's buffer, and a write(2): two direct-mapped calls, and no allocation for a read of up
 * to 256 KiB (a squashfs block's is 129). The protocol for one read-only file is small ({@link FuseProtocol}), and the
 * node needs no libfuse in its initramfs.
 *
 * <p>Threads: one waits for requests, and whenever none is left waiting another is started, up to
 * {@link #MAX_THREADS}, as libfuse's multi-threaded loop does; a read may block on the edges for as long as they are
 * away. All are named {@code fuse-loop}, the name the boot report sums their CPU under.
 */
public final class FuseMount implements Closeable {
    /** Most requests served at once, as libfuse's loop allows; the kernel keeps at most 12 of its reads in flight. */
    static final int MAX_THREADS = 10;
    private static final int READ_AHEAD_KB = 4096;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    /** Pages one read may ask for: 1 MiB, as libfuse asks. */
    private static final int MAX_PAGES = 256;
    private static final int PAGE = 4096;
    /** No writes come to a read-only mount, but the kernel wants a request buffer of max_write + 80, 8 KiB at least. */
    private static final int MAX_WRITE = 4096;
    private static final int REQUEST_BUFFER = 16 * 1024;
    /**
     * The answer buffer a thread keeps: room for the squashfs's reads (a 128 KiB block and its neighbouring device
     * block) and the kernel's default request. A larger read gets a buffer of its own, freed with its answer, so ten
     * threads that once served a read of a MiB do not keep 10 MiB of the node's memory.
     */
    private static final int KEPT_ANSWER = OUT_HEADER_SIZE + 256 * 1024;
    private static final long MS_RDONLY = 1;
    private static final long MS_NOSUID = 2;
    private static final long MS_NODEV = 4;

    private final FuseDevice device;
    private final SingleFileFilesystem filesystem;
    private final Path mountPoint;
    private final int maxRead;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger waiting = new AtomicInteger();
    private volatile boolean closed;
    private boolean failed;

    private FuseMount(FuseDevice device, SingleFileFilesystem filesystem, Path mountPoint, int maxRead) {
        this.device = device;
        this.filesystem = filesystem;
        this.mountPoint = mountPoint;
        this.maxRead = maxRead;
    }

    /**
     * Mounts {@code file} as {@code mountPoint/fileName}; the mount point must be an existing directory. Returns once
     * the kernel has taken the filesystem (its first request, INIT, answered): every read from then on is served.
     */
    public static FuseMount mount(Path mountPoint, String fileName, ReadOnlyFile file) throws IOException {
        if (!Files.isDirectory(mountPoint)) {
            throw new IOException("cannot mount the root image at " + mountPoint + ": not a directory");
        }
        SingleFileFilesystem filesystem = new SingleFileFilesystem(fileName, file);
        FuseDevice device = FuseDevice.open();
        try {
            Libc libc = Libc.get();
            String options = "fd=" + device.descriptor() + ",rootmode=40000,user_id=" + libc.getuid() + ",group_id="
                    + libc.getgid();
            NativeLong flags = new NativeLong(MS_RDONLY | MS_NOSUID | MS_NODEV);
            if (libc.mount("tether-root", mountPoint.toString(), "fuse.tether", flags, options) != 0) {
                throw new IOException("cannot mount FUSE at " + mountPoint + ": " + Libc.failure(Native.getLastError())
                        + " (this needs root)");
            }
            int maxRead;
            try {
                maxRead = initialize(device);
            } catch (IOException | RuntimeException e) {
                libc.umount2(mountPoint.toString(), Libc.MNT_DETACH);
                throw e;
            }
            FuseMount mount = new FuseMount(device, filesystem, mountPoint, maxRead);
            mount.startThread();
            raiseReadAhead(mountPoint);
            return mount;
        } catch (IOException | RuntimeException e) {
            device.close();
            throw e;
        }
    }

    /** Takes the kernel's INIT, the first request of every connection, and says what this side does. */
    private static int initialize(FuseDevice device) throws IOException {
        Memory request = new Memory(REQUEST_BUFFER);
        long n = device.read(request, REQUEST_BUFFER);
        if (n < 0) {
            throw new IOException("the FUSE connection ended before it began: " + Libc.failure((int) -n));
        }
        ByteBuffer in = request.getByteBuffer(0, n).order(ByteOrder.nativeOrder());
        if (n < IN_HEADER_SIZE + FuseProtocol.INIT_IN_SIZE || in.getInt(4) != FuseProtocol.INIT) {
            throw new IOException("the kernel's first FUSE request was not INIT (" + n + " bytes, opcode "
                    + in.getInt(4) + ")");
        }
        long unique = in.getLong(8);
        int major = in.getInt(IN_HEADER_SIZE);
        int minor = in.getInt(IN_HEADER_SIZE + 4);
        int maxReadahead = in.getInt(IN_HEADER_SIZE + 8);
        int kernelFlags = in.getInt(IN_HEADER_SIZE + 12);
        if (major != FuseProtocol.MAJOR || minor < FuseProtocol.MIN_KERNEL_MINOR) {
            throw new IOException("the kernel speaks FUSE " + major + "." + minor + "; the agent needs 7."
                    + FuseProtocol.MIN_KERNEL_MINOR + " or later (Linux 3.15)");
        }
        int flags = kernelFlags & (FuseProtocol.ASYNC_READ | FuseProtocol.ASYNC_DIO | FuseProtocol.PARALLEL_DIROPS
                | FuseProtocol.MAX_PAGES);
        int maxPages = (flags & FuseProtocol.MAX_PAGES) != 0 ? MAX_PAGES : 32;
        Memory reply = new Memory(OUT_HEADER_SIZE + FuseProtocol.INIT_OUT_SIZE);
        reply.clear();
        ByteBuffer out = reply.getByteBuffer(0, reply.size()).order(ByteOrder.nativeOrder());
        out.putInt((int) reply.size()).putInt(0).putLong(unique);
        out.putInt(FuseProtocol.MAJOR).putInt(Math.min(minor, FuseProtocol.MINOR));
        // The kernel's own read-ahead, unchanged: raiseReadAhead sets the file's afterwards.
        out.putInt(maxReadahead).putInt(flags);
        out.putShort((short) 0).putShort((short) 0); // max_background, congestion_threshold: the kernel's (12, 9)
        out.putInt(MAX_WRITE);
        out.putInt(1); // time_gran: nanoseconds
        out.putShort((short) maxPages);
        long written = device.write(reply, (int) reply.size());
        if (written < 0) {
            throw new IOException("the kernel refused the FUSE INIT answer: " + Libc.failure((int) -written));
        }
        return maxPages * PAGE;
    }

    /** Starts one more serving thread, unless closed or at the most. */
    private synchronized void startThread() {
        if (closed || threads.size() >= MAX_THREADS) {
            return;
        }
        Thread thread = Thread.ofPlatform().name("fuse-loop").daemon(true).start(this::serve);
        threads.add(thread);
    }

    /** One thread's loop: wait for a request, answer it, until the filesystem is unmounted. */
    private void serve() {
        Memory request = new Memory(REQUEST_BUFFER);
        ByteBuffer in = request.getByteBuffer(0, REQUEST_BUFFER).order(ByteOrder.nativeOrder());
        Memory kept = new Memory(Math.min(KEPT_ANSWER, OUT_HEADER_SIZE + maxRead));
        ByteBuffer keptOut = kept.getByteBuffer(0, kept.size()).order(ByteOrder.nativeOrder());
        while (true) {
            waiting.incrementAndGet();
            long n = device.read(request, REQUEST_BUFFER);
            if (waiting.decrementAndGet() == 0) {
                startThread();
            }
            if (n == -EINTR || n == -EAGAIN || n == -ENOENT) {
                continue;
            }
            if (n < 0) {
                if (n != -ENODEV) {
                    stopped("reading " + FuseDevice.PATH + " failed: " + Libc.failure((int) -n));
                }
                return; // ENODEV: unmounted, and nothing uses the file any more
            }
            // Shorter than a header: nothing to answer to (the kernel sends no such request).
            if (n >= IN_HEADER_SIZE && FuseProtocol.expectsReply(in.getInt(4))) {
                in.limit((int) n);
                long written = answer(in, kept, keptOut);
                in.clear();
                if (written == -ENODEV) {
                    return;
                }
                if (written < 0 && written != -ENOENT) {
                    stopped("an answer to a FUSE request was refused: " + Libc.failure((int) -written));
                    return;
                }
            }
        }
    }

    /**
     * Answers the request in {@code in} (its header, then its body up to the limit) from the thread's kept buffer, or
     * one of its own for a larger read; the write's result.
     */
    private long answer(ByteBuffer in, Memory kept, ByteBuffer keptOut) {
        int opcode = in.getInt(4);
        long unique = in.getLong(8);
        Memory reply = answerBuffer(in, kept);
        ByteBuffer out = reply == kept
                ? keptOut.clear() : reply.getByteBuffer(0, reply.size()).order(ByteOrder.nativeOrder());
        out.position(OUT_HEADER_SIZE);
        in.position(IN_HEADER_SIZE);
        int error;
        if (in.getInt(0) != in.limit()) {
            error = -FuseProtocol.EINVAL;
        } else if (closed && opcode == FuseProtocol.READ) {
            error = -EIO; // the file's closing (flush, release) still answered as ever: it fails nothing of the user's
        } else if (opcode == FuseProtocol.DESTROY) {
            error = 0;
        } else {
            error = filesystem.answer(opcode, in.getLong(16), in, out);
        }
        int length = error == 0 ? out.position() : OUT_HEADER_SIZE;
        out.putInt(0, length).putInt(4, error).putLong(8, unique);
        try {
            return device.write(reply, length);
        } finally {
            if (reply != kept) {
                reply.close();
            }
        }
    }

    /** The thread's kept buffer, or for a read larger than it one of the read's size, to be freed with the answer. */
    private Memory answerBuffer(ByteBuffer in, Memory kept) {
        FuseProtocol.ReadIn read = in.getInt(4) == FuseProtocol.READ
                ? FuseProtocol.ReadIn.at(in, IN_HEADER_SIZE) : null;
        if (read == null) {
            return kept;
        }
        long size = OUT_HEADER_SIZE + Math.min(read.size(), maxRead);
        return size > kept.size() ? new Memory(size) : kept;
    }

    private synchronized void stopped(String why) {
        if (!failed && !closed) {
            failed = true;
            System.err.println("tether-agent: a FUSE thread for " + mountPoint + " stopped: " + why);
        }
    }

    /**
     * The kernel reads a FUSE file ahead by only 128 KiB by default, one request at a time, and each
     * request is a round trip through the agent: the loop device reading the squashfs then waits on
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

    /** Opens and closes {@code /dev/fuse}, what a mount needs besides root (the selftest's check). */
    public static String checkDevice() throws IOException {
        try (FuseDevice device = FuseDevice.open()) {
            return FuseDevice.PATH + " opens (the agent serves FUSE itself, protocol 7." + FuseProtocol.MINOR + ")";
        }
    }

    /** Serving threads running now (for tests). */
    synchronized int threads() {
        return (int) threads.stream().filter(Thread::isAlive).count();
    }

    /**
     * Unmounts (lazily, as libfuse does for root, so a still-open file does not block this) and stops serving once
     * the kernel has let go of the filesystem. Whatever still has the file open gets read errors from now on, and this
     * waits for it to close the file: unmount the squashfs first.
     */
    @Override
    public void close() throws IOException {
        List<Thread> serving;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            serving = List.copyOf(threads);
        }
        Libc.get().umount2(mountPoint.toString(), Libc.MNT_DETACH);
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        try {
            for (Thread thread : serving) {
                thread.join(Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (serving.stream().anyMatch(Thread::isAlive)) {
            // Their reads wait on the descriptor; closing it under them would not wake them.
            throw new IOException("the FUSE loop for " + mountPoint + " did not stop within " + STOP_TIMEOUT.toSeconds()
                    + " s after unmount (is the file still open?)");
        }
        device.close();
    }
}
