package dev.tether.agent;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/**
 * The C library through JNA, for what Java cannot do: mount(2), umount2(2) and the loop device's ioctls (the root and
 * its FUSE file, with the mounting user's ids),
 * chroot(2) into the node's root after the initramfs switched to it and a thread's own nice value (an untethered
 * image's download behind the running node), extended attributes and set-id modes (persistence), and getpid for the
 * selftest, which checks that JNA works.
 * The mounts replace mount(8), umount(8) and losetup(8), whose every start cost a boot about half a second on an
 * emulated machine (a JVM spawning a helper that runs a dynamically linked tool), three times on the way to the root.
 * A failed call returns -1 and leaves errno for {@link Native#getLastError} and {@link #failure}.
 */
public interface Libc extends Library {
    int O_RDONLY = 0;
    int O_RDWR = 2;
    int O_CLOEXEC = 02000000;
    int O_DIRECTORY = 0200000;
    int O_PATH = 010000000;
    /** umount2: detach the mount now, release it once nothing uses it. */
    int MNT_DETACH = 2;
    int PRIO_PROCESS = 0;

    int EBUSY = 16;
    int EINVAL = 22;
    int ENOTTY = 25;
    int ENODATA = 61;
    int ENOTSUP = 95;

    int mount(String source, String target, String type, NativeLong flags, String data);

    int umount2(String target, int flags);

    int open(String path, int flags);

    int openat(int dirfd, String path, int flags);

    int close(int fd);

    int fchdir(int fd);

    int chdir(String path);

    int chroot(String path);

    /** With PRIO_PROCESS and a thread's id, that one thread's nice value (Linux). */
    int setpriority(int which, int who, int prio);

    int gettid();

    int ioctl(int fd, NativeLong request, Pointer argument);

    int ioctl(int fd, NativeLong request, NativeLong argument);

    String strerror(int errno);

    long llistxattr(String path, byte[] list, long size);

    long lgetxattr(String path, String name, byte[] value, long size);

    int lsetxattr(String path, String name, byte[] value, long size, int flags);

    int chmod(String path, int mode);

    int getpid();

    int getuid();

    int getgid();

    /** Loaded on first use. */
    static Libc get() {
        return Holder.LIBC;
    }

    /** The last call's errno as the C library words it, with its number: "Device or resource busy (errno 16)". */
    static String failure(int errno) {
        return get().strerror(errno) + " (errno " + errno + ")";
    }

    /** The library, loaded on first use (an interface keeps no state of its own). */
    final class Holder {
        private static final Libc LIBC = Native.load("c", Libc.class);

        private Holder() {
        }
    }
}
