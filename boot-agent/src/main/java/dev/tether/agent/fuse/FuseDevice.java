package dev.tether.agent.fuse;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import dev.tether.agent.Libc;
import java.io.Closeable;
import java.io.IOException;

/**
 * An open {@code /dev/fuse}: one FUSE connection once a mount names its descriptor. Its read and write are JNA
 * direct-mapped calls of the C library, made for every request the kernel sends; any number of threads may wait in
 * {@link #read} at once, and the kernel hands each request to one of them.
 */
final class FuseDevice implements Closeable {
    static final String PATH = "/dev/fuse";
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 02000000;

    static {
        Native.register(FuseDevice.class, NativeLibrary.getInstance("c"));
    }

    private final int fd;
    private boolean closed;

    private FuseDevice(int fd) {
        this.fd = fd;
    }

    static FuseDevice open() throws IOException {
        try {
            return new FuseDevice(open(PATH, O_RDWR | O_CLOEXEC));
        } catch (LastErrorException e) {
            throw new IOException("cannot open " + PATH + ": " + Libc.failure(e.getErrorCode())
                    + " (this needs the fuse module, modprobe fuse, and root)", e);
        }
    }

    int descriptor() {
        return fd;
    }

    /**
     * Waits for the next request and reads it whole into {@code buffer}.
     *
     * @return its length, or a negative errno: {@code -ENODEV} once the filesystem is unmounted
     */
    long read(Pointer buffer, int capacity) {
        try {
            return read(fd, buffer, capacity);
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    /**
     * Sends one answer, header and body, in one write. A negative errno when it was not taken: {@code -ENOENT} for a
     * request the kernel no longer waits for (its reader was interrupted), which is no failure of the filesystem's.
     */
    long write(Pointer buffer, int length) {
        try {
            return write(fd, buffer, length);
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            try {
                close(fd);
            } catch (LastErrorException e) {
                // Nothing to do about a descriptor that would not close.
            }
        }
    }

    private static native int open(String path, int flags) throws LastErrorException;

    private static native long read(int fd, Pointer buffer, long count) throws LastErrorException;

    private static native long write(int fd, Pointer buffer, long count) throws LastErrorException;

    private static native int close(int fd) throws LastErrorException;
}
