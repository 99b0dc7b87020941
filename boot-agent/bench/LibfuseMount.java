import com.sun.jna.Callback;
import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;
import com.sun.jna.Structure;
import dev.tether.agent.fuse.ReadOnlyFile;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The reference's FUSE mount: a read-only file served through libfuse 3's high-level API on libfuse's multi-threaded
 * loop, as confluent's urlmount3 serves its image (a libfuse 3 program; the reference adds {@code -s}'s one read at a
 * time itself). This is the agent's own mount as it was until it served {@code /dev/fuse} itself, kept here so that the
 * reference keeps paying what urlmount3 pays per request: libfuse's path lookup and, in Java, a JNA callback.
 *
 * <p>Options: {@code kernel_cache} and long attribute timeouts, because the file never changes; {@code auto_unmount}
 * when {@code fusermount3} is installed (libfuse needs it for that), so a dead benchmark leaves no hung mount.
 */
public final class LibfuseMount implements Closeable {
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final List<Path> FUSERMOUNT = List.of(Path.of("/usr/bin/fusermount3"), Path.of("/bin/fusermount3"));

    private final Fuse3 fuse3;
    private final Pointer fuse;
    private final Path mountPoint;
    private final Thread loop;
    /** Referenced so the callbacks are not collected while libfuse holds their addresses. */
    private final SingleFileFilesystem filesystem;
    private boolean closed;

    private LibfuseMount(Fuse3 fuse3, Pointer fuse, Path mountPoint, SingleFileFilesystem filesystem) {
        this.fuse3 = fuse3;
        this.fuse = fuse;
        this.mountPoint = mountPoint;
        this.filesystem = filesystem;
        this.loop = Thread.ofPlatform().name("fuse-loop").daemon(true).unstarted(() -> fuse3.fuse_loop_mt_31(fuse, 0));
    }

    /** Mounts {@code file} as {@code mountPoint/fileName}; the mount point must be an existing directory. */
    public static LibfuseMount mount(Path mountPoint, String fileName, ReadOnlyFile file) throws IOException {
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
        LibfuseMount mount = new LibfuseMount(fuse3, fuse, mountPoint, filesystem);
        // The kernel's read-ahead on the file stays its default (128 KiB), as urlmount3 leaves it.
        mount.loop.start();
        return mount;
    }

    static boolean autoUnmountAvailable() {
        return FUSERMOUNT.stream().anyMatch(Files::isExecutable);
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

    /**
     * The part of libfuse 3's high-level API the agent uses, bound at run time to the system's
     * {@code libfuse3.so.3} (package libfuse3-3; no headers needed). Versioned entry points are named
     * explicitly ({@code fuse_new_31}, {@code fuse_loop_mt_31}) so the binding means the same on every 3.x
     * from 3.2 on, whatever the library's default symbol version is.
     */
    public interface Fuse3 extends Library {
        String LIBRARY = "libfuse3.so.3";

        /** Parses {@code args} (mount and library options) and makes a filesystem; null when an option is wrong. */
        Pointer fuse_new_31(FuseArgs args, FuseOperations operations, NativeLong operationsSize, Pointer userData);

        int fuse_mount(Pointer fuse, String mountPoint);

        /** Serves requests on up to ten threads until unmount or {@link #fuse_exit}. */
        int fuse_loop_mt_31(Pointer fuse, int cloneFd);

        void fuse_exit(Pointer fuse);

        void fuse_unmount(Pointer fuse);

        void fuse_destroy(Pointer fuse);

        /** The library's version, e.g. 314 for 3.14 (what {@code tether-agent selftest} shows). */
        int fuse_version();

        /** Loads the library, or explains what is missing. */
        static Fuse3 load() throws IOException {
            try {
                return Native.load(LIBRARY, Fuse3.class);
            } catch (UnsatisfiedLinkError e) {
                throw new IOException("cannot load " + LIBRARY + " (install the libfuse3-3 package, or use "
                        + "tether.method=untethered): " + e.getMessage(), e);
            }
        }
    }

    /** {@code struct fuse_args}: an argv for libfuse's option parser. */
    @Structure.FieldOrder({"argc", "argv", "allocated"})
    public static final class FuseArgs extends Structure {
        public int argc;
        public Pointer argv;
        public int allocated;

        /** Kept so the strings live as long as libfuse may read them. */
        private final transient StringArray strings;

        public FuseArgs(String... args) {
            this.strings = new StringArray(args);
            this.argc = args.length;
            this.argv = strings;
            this.allocated = 0;
        }
    }

    /**
     * {@code struct fuse_operations} of libfuse 3 (42 function pointers in this order, 336 bytes on 64-bit).
     * Operations a read-only single-file filesystem needs are callbacks; the others stay null, which libfuse
     * answers with ENOSYS (and a read-only mount never asks for writes).
     */
    @Structure.FieldOrder({"getattr", "readlink", "mknod", "mkdir", "unlink", "rmdir", "symlink", "rename", "link",
            "chmod", "chown", "truncate", "open", "read", "write", "statfs", "flush", "release", "fsync", "setxattr",
            "getxattr", "listxattr", "removexattr", "opendir", "readdir", "releasedir", "fsyncdir", "init", "destroy",
            "access", "create", "lock", "utimens", "bmap", "ioctl", "poll", "write_buf", "read_buf", "flock",
            "fallocate", "copy_file_range", "lseek"})
    public static final class FuseOperations extends Structure {
        /** {@code int getattr(const char *path, struct stat *st, struct fuse_file_info *fi)} */
        public interface GetAttr extends Callback {
            int invoke(String path, Pointer stat, Pointer fileInfo);
        }

        /** {@code int open(const char *path, struct fuse_file_info *fi)}, also the shape of release. */
        public interface Open extends Callback {
            int invoke(String path, Pointer fileInfo);
        }

        /** {@code int read(const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi)} */
        public interface Read extends Callback {
            int invoke(String path, Pointer buffer, long size, long offset, Pointer fileInfo);
        }

        /** {@code int statfs(const char *path, struct statvfs *st)} */
        public interface StatFs extends Callback {
            int invoke(String path, Pointer statvfs);
        }

        /**
         * {@code int readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t offset,
         * struct fuse_file_info *fi, enum fuse_readdir_flags flags)}
         */
        public interface ReadDir extends Callback {
            int invoke(String path, Pointer buffer, Pointer filler, long offset, Pointer fileInfo, int flags);
        }

        public GetAttr getattr;
        public Pointer readlink;
        public Pointer mknod;
        public Pointer mkdir;
        public Pointer unlink;
        public Pointer rmdir;
        public Pointer symlink;
        public Pointer rename;
        public Pointer link;
        public Pointer chmod;
        public Pointer chown;
        public Pointer truncate;
        public Open open;
        public Read read;
        public Pointer write;
        public StatFs statfs;
        public Pointer flush;
        public Open release;
        public Pointer fsync;
        public Pointer setxattr;
        public Pointer getxattr;
        public Pointer listxattr;
        public Pointer removexattr;
        public Open opendir;
        public ReadDir readdir;
        public Open releasedir;
        public Pointer fsyncdir;
        public Pointer init;
        public Pointer destroy;
        public Pointer access;
        public Pointer create;
        public Pointer lock;
        public Pointer utimens;
        public Pointer bmap;
        public Pointer ioctl;
        public Pointer poll;
        public Pointer write_buf;
        public Pointer read_buf;
        public Pointer flock;
        public Pointer fallocate;
        public Pointer copy_file_range;
        public Pointer lseek;
    }

    /**
     * Where glibc puts the fields of {@code struct stat} and {@code struct statvfs} that the filesystem fills.
     * libfuse zeroes both structures before calling us, so only the fields that matter are written. x86-64 and
     * arm64 differ only in {@code st_mode}/{@code st_nlink}; statvfs is the same on both.
     */
    static final class NativeLayout {
        private final boolean x86;

        private NativeLayout(boolean x86) {
            this.x86 = x86;
        }

        static NativeLayout forThisMachine() {
            String arch = System.getProperty("os.arch");
            return switch (arch) {
                case "amd64", "x86_64" -> new NativeLayout(true);
                case "aarch64", "arm64" -> new NativeLayout(false);
                default -> throw new UnsupportedOperationException(
                        "the FUSE binding knows struct stat on x86-64 and arm64, not " + arch);
            };
        }

        void stat(Pointer st, int mode, long nlink, long size, long mtimeSeconds) {
            if (x86) {
                st.setLong(16, nlink);
                st.setInt(24, mode);
            } else {
                st.setInt(16, mode);
                st.setInt(20, (int) nlink);
            }
            st.setLong(48, size);
            st.setInt(56, 4096);
            st.setLong(64, (size + 511) / 512);
            st.setLong(72, mtimeSeconds);
            st.setLong(88, mtimeSeconds);
            st.setLong(104, mtimeSeconds);
        }

        void statvfs(Pointer st, long blockSize, long blocks, long files, long nameMax) {
            st.setLong(0, blockSize);
            st.setLong(8, blockSize);
            st.setLong(16, blocks);
            st.setLong(40, files);
            st.setLong(80, nameMax);
        }
    }

    /**
     * A read-only filesystem with one regular file in its root. Reads go straight from the kernel's buffer to
     * {@link ReadOnlyFile#read}; the file may block as long as it must (an edge outage), it does not return
     * an error unless it is closed. Errors are negative errno values, as libfuse wants them.
     */
    static final class SingleFileFilesystem {
        private static final int ENOENT = 2;
        private static final int EIO = 5;
        private static final int EISDIR = 21;
        private static final int EROFS = 30;
        private static final int O_ACCMODE = 3;
        private static final int S_IFDIR = 0040000;
        private static final int S_IFREG = 0100000;

        private final String path;
        private final String name;
        private final ReadOnlyFile file;
        private final NativeLayout layout = NativeLayout.forThisMachine();
        private final long mtime = System.currentTimeMillis() / 1000;
        private final FuseOperations operations = new FuseOperations();

        public SingleFileFilesystem(String fileName, ReadOnlyFile file) {
            if (fileName.isEmpty() || fileName.contains("/")) {
                throw new IllegalArgumentException("the file name must be one path element, not " + fileName);
            }
            this.name = fileName;
            this.path = "/" + fileName;
            this.file = file;
            operations.getattr = this::getattr;
            operations.open = this::open;
            operations.read = this::read;
            operations.release = (p, fi) -> 0;
            operations.statfs = this::statfs;
            operations.opendir = (p, fi) -> "/".equals(p) ? 0 : -ENOENT;
            operations.readdir = this::readdir;
            operations.releasedir = (p, fi) -> 0;
            // libfuse calls from its own threads: keep them attached to the JVM rather than attaching per request.
            CallbackThreadInitializer attached = new CallbackThreadInitializer(true, false, "fuse-worker");
            Native.setCallbackThreadInitializer(operations.getattr, attached);
            Native.setCallbackThreadInitializer(operations.open, attached);
            Native.setCallbackThreadInitializer(operations.read, attached);
            Native.setCallbackThreadInitializer(operations.release, attached);
            Native.setCallbackThreadInitializer(operations.statfs, attached);
            Native.setCallbackThreadInitializer(operations.opendir, attached);
            Native.setCallbackThreadInitializer(operations.readdir, attached);
            Native.setCallbackThreadInitializer(operations.releasedir, attached);
            operations.write();
        }

        public FuseOperations operations() {
            return operations;
        }

        private int getattr(String p, Pointer st, Pointer fi) {
            if ("/".equals(p)) {
                layout.stat(st, S_IFDIR | 0555, 2, 0, mtime);
                return 0;
            }
            if (path.equals(p)) {
                layout.stat(st, S_IFREG | 0444, 1, file.size(), mtime);
                return 0;
            }
            return -ENOENT;
        }

        private int open(String p, Pointer fi) {
            if ("/".equals(p)) {
                return -EISDIR;
            }
            if (!path.equals(p)) {
                return -ENOENT;
            }
            int flags = fi.getInt(0);
            return (flags & O_ACCMODE) == 0 ? 0 : -EROFS;
        }

        private int read(String p, Pointer buffer, long size, long offset, Pointer fi) {
            if (!path.equals(p)) {
                return -ENOENT;
            }
            if (size <= 0 || offset >= file.size()) {
                return 0;
            }
            ByteBuffer dst = buffer.getByteBuffer(0, Math.min(size, Integer.MAX_VALUE));
            try {
                int n = file.read(offset, dst);
                return Math.max(n, 0);
            } catch (IOException | RuntimeException e) {
                return -EIO;
            }
        }

        private int statfs(String p, Pointer st) {
            layout.statvfs(st, 4096, (file.size() + 4095) / 4096, 2, 255);
            return 0;
        }

        private int readdir(String p, Pointer buffer, Pointer filler, long offset, Pointer fi, int flags) {
            if (!"/".equals(p)) {
                return -ENOENT;
            }
            Function fill = Function.getFunction(filler);
            for (String entry : new String[]{".", "..", name}) {
                if (fill.invokeInt(new Object[]{buffer, entry, null, 0L, 0}) != 0) {
                    break;
                }
            }
            return 0;
        }
    }
}
