package dev.tether.agent.fuse;

import com.sun.jna.Callback;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/**
 * {@code struct fuse_operations} of libfuse 3 (42 function pointers in this order, 336 bytes on 64-bit).
 * Operations a read-only single-file filesystem needs are callbacks; the others stay null, which libfuse
 * answers with ENOSYS (and a read-only mount never asks for writes).
 */
@Structure.FieldOrder({"getattr", "readlink", "mknod", "mkdir", "unlink", "rmdir", "symlink", "rename", "link",
        "chmod", "chown", "truncate", "open", "read", "write", "statfs", "flush", "release", "fsync", "setxattr",
        "getxattr", "listxattr", "removexattr", "opendir", "readdir", "releasedir", "fsyncdir", "init", "destroy",
        "access", "create", "lock", "utimens", "bmap", "ioctl", "poll", "write_buf", "read_buf", "flock", "fallocate",
        "copy_file_range", "lseek"})
public final class FuseOperations extends Structure {
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
