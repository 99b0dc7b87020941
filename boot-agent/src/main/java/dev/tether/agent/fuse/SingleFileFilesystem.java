package dev.tether.agent.fuse;

import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A read-only filesystem with one regular file in its root. Reads go straight from the kernel's buffer to
 * {@link ReadOnlyFile#read}; the file may block as long as it must (an edge outage), it does not return
 * an error unless it is closed. Errors are negative errno values, as libfuse wants them.
 */
public final class SingleFileFilesystem {
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
