package dev.tether.agent.fuse;

import java.nio.ByteBuffer;

/**
 * The kernel's side of FUSE as it crosses {@code /dev/fuse} (Linux's {@code include/uapi/linux/fuse.h}, protocol
 * 7.x): the opcodes, flags and structure layouts a read-only filesystem of one file reads and writes. Every structure
 * is in the machine's byte order and 8-byte aligned; each writer puts one at a buffer's position and moves it past.
 */
final class FuseProtocol {
    static final int MAJOR = 7;
    /**
     * The oldest kernel side this one answers: 7.23 (Linux 3.15) takes the INIT answer's 64 bytes. Reads larger than
     * 128 KiB need {@link #MAX_PAGES} (7.28, Linux 4.20), used when the kernel offers it.
     */
    static final int MIN_KERNEL_MINOR = 23;
    /** The minor version this side speaks: nothing after 7.31 is used; the lower of this and the kernel's is sent. */
    static final int MINOR = 31;

    static final int IN_HEADER_SIZE = 40;
    static final int OUT_HEADER_SIZE = 16;
    static final int READ_IN_SIZE = 40;
    static final int INIT_IN_SIZE = 16;
    static final int INIT_OUT_SIZE = 64;
    static final int ATTR_SIZE = 88;
    static final int ENTRY_OUT_SIZE = 40 + ATTR_SIZE;
    static final int ATTR_OUT_SIZE = 16 + ATTR_SIZE;
    static final int OPEN_OUT_SIZE = 16;
    static final int STATFS_OUT_SIZE = 80;
    static final int DIRENT_HEADER_SIZE = 24;

    static final int LOOKUP = 1;
    static final int FORGET = 2;
    static final int GETATTR = 3;
    static final int OPEN = 14;
    static final int READ = 15;
    static final int STATFS = 17;
    static final int RELEASE = 18;
    static final int FLUSH = 25;
    static final int INIT = 26;
    static final int OPENDIR = 27;
    static final int READDIR = 28;
    static final int RELEASEDIR = 29;
    static final int INTERRUPT = 36;
    static final int DESTROY = 38;
    static final int BATCH_FORGET = 42;

    /** Several reads of a file at once, not one after the other. */
    static final int ASYNC_READ = 1;
    /** A direct-I/O read (the loop device's) sent as requests that need not wait for each other. */
    static final int ASYNC_DIO = 1 << 15;
    static final int PARALLEL_DIROPS = 1 << 18;
    /** {@code max_pages} in the reply: one request may read more than 32 pages. */
    static final int MAX_PAGES = 1 << 22;

    /** open_out: the file's pages in the kernel's cache stay valid across opens (libfuse's {@code kernel_cache}). */
    static final int FOPEN_KEEP_CACHE = 1 << 1;

    static final long ROOT_ID = 1;

    static final int S_IFDIR = 0040000;
    static final int S_IFREG = 0100000;
    static final int DT_DIR = 4;
    static final int DT_REG = 8;

    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int EAGAIN = 11;
    static final int ENODEV = 19;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int EROFS = 30;
    static final int ENOSYS = 38;

    private FuseProtocol() {
    }

    /** Requests the kernel expects no answer to. Interrupts are let go: every read ends by itself. */
    static boolean expectsReply(int opcode) {
        return opcode != FORGET && opcode != BATCH_FORGET && opcode != INTERRUPT;
    }

    /** {@code struct fuse_read_in}, the body of READ and READDIR: where to read and how much. */
    record ReadIn(long offset, long size) {
        /** The body at {@code position} of {@code request}, or null when the request ends before a whole one. */
        static ReadIn at(ByteBuffer request, int position) {
            if (request.limit() - position < READ_IN_SIZE) {
                return null;
            }
            return new ReadIn(request.getLong(position + 8), Integer.toUnsignedLong(request.getInt(position + 16)));
        }
    }

    /** What a node is, for {@code struct fuse_attr}. */
    record Attributes(long inode, int mode, int links, long size, long mtimeSeconds) {
    }

    static void putAttr(ByteBuffer out, Attributes a) {
        out.putLong(a.inode());
        out.putLong(a.size());
        out.putLong((a.size() + 511) / 512);
        out.putLong(a.mtimeSeconds()); // atime
        out.putLong(a.mtimeSeconds()); // mtime
        out.putLong(a.mtimeSeconds()); // ctime
        out.putInt(0).putInt(0).putInt(0); // their nanoseconds
        out.putInt(a.mode());
        out.putInt(a.links());
        out.putInt(0).putInt(0); // uid, gid: root's, as libfuse left them
        out.putInt(0); // rdev
        out.putInt(4096); // blksize
        out.putInt(0); // flags
    }

    /** {@code struct fuse_entry_out}; a node id of 0 is a negative entry, cached as long as {@code validSeconds}. */
    static void putEntry(ByteBuffer out, Attributes a, long validSeconds) {
        out.putLong(a == null ? 0 : a.inode());
        out.putLong(0); // generation
        out.putLong(validSeconds).putLong(validSeconds);
        out.putInt(0).putInt(0);
        if (a == null) {
            out.put(new byte[ATTR_SIZE]);
        } else {
            putAttr(out, a);
        }
    }

    static void putAttrOut(ByteBuffer out, Attributes a, long validSeconds) {
        out.putLong(validSeconds).putInt(0).putInt(0);
        putAttr(out, a);
    }

    static void putOpenOut(ByteBuffer out, int openFlags) {
        out.putLong(0).putInt(openFlags).putInt(0);
    }

    static void putStatfs(ByteBuffer out, long blocks, long files, int blockSize, int nameMax) {
        out.putLong(blocks).putLong(0).putLong(0).putLong(files).putLong(0);
        out.putInt(blockSize).putInt(nameMax).putInt(blockSize).putInt(0);
        out.put(new byte[24]);
    }

    /** Whether a {@code struct fuse_dirent} for {@code name} fits; {@code false} leaves the buffer as it was. */
    static boolean putDirent(ByteBuffer out, long inode, long nextOffset, int type, byte[] name) {
        int size = DIRENT_HEADER_SIZE + ((name.length + 7) & ~7);
        if (out.remaining() < size) {
            return false;
        }
        out.putLong(inode).putLong(nextOffset).putInt(name.length).putInt(type).put(name);
        for (int pad = size - DIRENT_HEADER_SIZE - name.length; pad > 0; pad--) {
            out.put((byte) 0);
        }
        return true;
    }
}
