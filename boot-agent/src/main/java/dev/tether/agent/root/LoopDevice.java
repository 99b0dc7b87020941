package dev.tether.agent.root;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import dev.tether.agent.Libc;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A read-only loop device over a file, set up as {@code mount -o loop,ro} and {@code losetup --direct-io} do, with the
 * loop driver's ioctls (linux/loop.h). It is made with autoclear: once the filesystem on it is mounted and this
 * object closed, the device goes when that filesystem is unmounted; closed without a mount, it goes at once.
 *
 * <p>{@code LOOP_CONFIGURE} (Linux 5.8) binds the file and sets the flags in one call; older kernels take the three
 * calls losetup makes there ({@code LOOP_SET_FD}, {@code LOOP_SET_STATUS64}, {@code LOOP_SET_DIRECT_IO}).
 */
final class LoopDevice implements Closeable {
    private static final long LOOP_SET_FD = 0x4C00;
    private static final long LOOP_CLR_FD = 0x4C01;
    private static final long LOOP_SET_STATUS64 = 0x4C04;
    private static final long LOOP_CHANGE_FD = 0x4C06;
    private static final long LOOP_SET_DIRECT_IO = 0x4C08;
    private static final long LOOP_CONFIGURE = 0x4C0A;
    private static final long LOOP_CTL_GET_FREE = 0x4C82;

    private static final int LO_FLAGS_READ_ONLY = 1;
    private static final int LO_FLAGS_AUTOCLEAR = 4;
    private static final int LO_FLAGS_DIRECT_IO = 16;

    /** struct loop_info64: 232 bytes, lo_flags at 52, lo_file_name[64] at 56. */
    private static final int INFO_SIZE = 232;
    private static final int INFO_FLAGS = 52;
    private static final int INFO_FILE_NAME = 56;
    private static final int FILE_NAME_SIZE = 64;
    /** struct loop_config: fd, block_size, then the loop_info64, then eight reserved u64: 304 bytes. */
    private static final int CONFIG_SIZE = 8 + INFO_SIZE + 64;
    private static final int CONFIG_INFO = 8;

    /** Another process may take the free device between the question and the claim: ask again, a few times. */
    private static final int CLAIM_ATTEMPTS = 16;

    private final Path device;
    private int fd;

    private LoopDevice(Path device, int fd) {
        this.device = device;
        this.fd = fd;
    }

    /**
     * Binds {@code file} read-only to a free loop device.
     *
     * @param directIo whether the device is to read the file with direct I/O; the kernel uses it only where the file
     *     takes it ({@link #readsWithDirectIo} tells)
     */
    static LoopDevice attach(Path file, boolean directIo) throws RootSetupException {
        return attach(file, directIo, true);
    }

    /** @param configure whether to try {@code LOOP_CONFIGURE} first; false takes the older kernels' path, for tests */
    static LoopDevice attach(Path file, boolean directIo, boolean configure) throws RootSetupException {
        Libc libc = Libc.get();
        int fileFd = libc.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fileFd < 0) {
            throw new RootSetupException("cannot open " + file + " for its loop device: " + Libc.failure(Native.getLastError()));
        }
        try {
            for (int attempt = 1; ; attempt++) {
                Path device = freeDevice(libc);
                int deviceFd = libc.open(device.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
                if (deviceFd < 0) {
                    throw new RootSetupException("cannot open " + device + ": " + Libc.failure(Native.getLastError())
                            + "; the initramfs needs /dev on devtmpfs");
                }
                int errno = bind(libc, deviceFd, fileFd, file, directIo, configure);
                if (errno == 0) {
                    return new LoopDevice(device, deviceFd);
                }
                libc.close(deviceFd);
                if (errno != Libc.EBUSY || attempt == CLAIM_ATTEMPTS) {
                    throw new RootSetupException("cannot bind " + file + " to " + device + ": " + Libc.failure(errno));
                }
            }
        } finally {
            libc.close(fileFd);
        }
    }

    /** The device, as /dev/loopN. */
    Path path() {
        return device;
    }

    /** Whether the device reads its file with direct I/O, as the driver's {@code dio} attribute says. */
    boolean readsWithDirectIo() {
        try {
            return Files.readString(Path.of("/sys/block", device.getFileName().toString(), "loop/dio")).strip().equals("1");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Moves the device onto another file with the same bytes, under whatever is mounted from it ({@code LOOP_CHANGE_FD},
     * which the kernel allows only on a read-only device and to a file of the same size): requests under way finish on
     * the old file, later ones read the new one, and the old file is let go. The kernel drops the clean caches of the
     * filesystem on the device as it does for a changed medium; they fill again from the new file. The driver reads
     * the new file with direct I/O only where it takes it (a tmpfs file before Linux 6.6 does not).
     */
    void changeBackingFile(Path file) throws RootSetupException {
        if (fd < 0) {
            throw new IllegalStateException(device + " is no longer held");
        }
        Libc libc = Libc.get();
        int fileFd = libc.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fileFd < 0) {
            throw new RootSetupException("cannot open " + file + " to move " + device + " onto: "
                    + Libc.failure(Native.getLastError()));
        }
        try {
            if (libc.ioctl(fd, new NativeLong(LOOP_CHANGE_FD), new NativeLong(fileFd)) != 0) {
                int errno = Native.getLastError();
                throw new RootSetupException("cannot move " + device + " onto " + file + ": " + Libc.failure(errno)
                        + (errno == Libc.EINVAL ? "; the device must be read-only and the file as large as the one it reads" : ""));
            }
        } finally {
            libc.close(fileFd);
        }
    }

    /** Lets the device go: at once if nothing is mounted from it, else when that is unmounted (autoclear). */
    @Override
    public void close() {
        if (fd >= 0) {
            Libc.get().close(fd);
            fd = -1;
        }
    }

    private static Path freeDevice(Libc libc) throws RootSetupException {
        int control = libc.open("/dev/loop-control", Libc.O_RDWR | Libc.O_CLOEXEC);
        if (control < 0) {
            throw new RootSetupException("cannot open /dev/loop-control: " + Libc.failure(Native.getLastError())
                    + "; the initramfs must contain the loop kernel module");
        }
        try {
            int number = libc.ioctl(control, new NativeLong(LOOP_CTL_GET_FREE), new NativeLong(0));
            if (number < 0) {
                throw new RootSetupException("no free loop device: " + Libc.failure(Native.getLastError()));
            }
            return Path.of("/dev/loop" + number);
        } finally {
            libc.close(control);
        }
    }

    /** Returns 0, or the errno of the call that failed. */
    private static int bind(Libc libc, int deviceFd, int fileFd, Path file, boolean directIo, boolean configure) {
        int flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR | (directIo ? LO_FLAGS_DIRECT_IO : 0);
        if (configure) {
            try (Memory config = new Memory(CONFIG_SIZE)) {
                config.clear();
                config.setInt(0, fileFd);
                config.setInt(CONFIG_INFO + INFO_FLAGS, flags);
                writeFileName(config, CONFIG_INFO + INFO_FILE_NAME, file);
                if (libc.ioctl(deviceFd, new NativeLong(LOOP_CONFIGURE), config) == 0) {
                    return 0;
                }
                int errno = Native.getLastError();
                if (errno != Libc.EINVAL && errno != Libc.ENOTTY) {
                    return errno;
                }
            }
        }
        // Before Linux 5.8: bind, then set the flags (the file's read-only open makes the device read-only).
        if (libc.ioctl(deviceFd, new NativeLong(LOOP_SET_FD), new NativeLong(fileFd)) != 0) {
            return Native.getLastError();
        }
        try (Memory info = new Memory(INFO_SIZE)) {
            info.clear();
            info.setInt(INFO_FLAGS, LO_FLAGS_AUTOCLEAR);
            writeFileName(info, INFO_FILE_NAME, file);
            if (libc.ioctl(deviceFd, new NativeLong(LOOP_SET_STATUS64), info) != 0) {
                int errno = Native.getLastError();
                libc.ioctl(deviceFd, new NativeLong(LOOP_CLR_FD), new NativeLong(0));
                return errno;
            }
        }
        if (directIo) {
            // Best effort, as losetup --direct-io: the file may not take it.
            libc.ioctl(deviceFd, new NativeLong(LOOP_SET_DIRECT_IO), new NativeLong(1));
        }
        return 0;
    }

    /** The name losetup and /sys show for the backing file; the kernel keeps the first 63 bytes. */
    private static void writeFileName(Memory struct, int offset, Path file) {
        byte[] name = file.toString().getBytes(StandardCharsets.UTF_8);
        struct.write(offset, name, 0, Math.min(name.length, FILE_NAME_SIZE - 1));
    }
}
