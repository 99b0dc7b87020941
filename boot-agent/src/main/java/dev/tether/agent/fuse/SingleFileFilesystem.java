package dev.tether.agent.fuse;

import static dev.tether.agent.fuse.FuseProtocol.DT_DIR;
import static dev.tether.agent.fuse.FuseProtocol.DT_REG;
import static dev.tether.agent.fuse.FuseProtocol.EINVAL;
import static dev.tether.agent.fuse.FuseProtocol.EIO;
import static dev.tether.agent.fuse.FuseProtocol.EISDIR;
import static dev.tether.agent.fuse.FuseProtocol.ENOENT;
import static dev.tether.agent.fuse.FuseProtocol.ENOSYS;
import static dev.tether.agent.fuse.FuseProtocol.ENOTDIR;
import static dev.tether.agent.fuse.FuseProtocol.EROFS;
import static dev.tether.agent.fuse.FuseProtocol.ROOT_ID;

import dev.tether.agent.fuse.FuseProtocol.Attributes;
import dev.tether.agent.fuse.FuseProtocol.ReadIn;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A read-only filesystem with one regular file in its root, answering the kernel's FUSE requests. Reads go from
 * {@link ReadOnlyFile#read} straight into the answer's buffer; the file may block as long as it must (an edge
 * outage), it does not fail a read unless it is closed.
 *
 * <p>The two nodes never change, so the kernel may keep every answer about them for a day (libfuse's
 * {@code kernel_cache} and day-long attribute, entry and negative timeouts, as the agent mounted it before).
 */
final class SingleFileFilesystem {
    static final long FILE_ID = 2;
    private static final long VALID_SECONDS = 86_400;
    private static final int O_ACCMODE = 3;

    private final byte[] name;
    private final ReadOnlyFile file;
    private final Attributes root;
    private final Attributes regular;

    SingleFileFilesystem(String fileName, ReadOnlyFile file) {
        if (fileName.isEmpty() || fileName.contains("/") || fileName.equals(".") || fileName.equals("..")) {
            throw new IllegalArgumentException("the file name must be one path element, not " + fileName);
        }
        this.name = fileName.getBytes(StandardCharsets.UTF_8);
        this.file = file;
        long mtime = System.currentTimeMillis() / 1000;
        this.root = new Attributes(ROOT_ID, FuseProtocol.S_IFDIR | 0555, 2, 0, mtime);
        this.regular = new Attributes(FILE_ID, FuseProtocol.S_IFREG | 0444, 1, file.size(), mtime);
    }

    /**
     * Answers one request: {@code request} holds its body (after the header), {@code reply} takes the answer's body
     * from its position to at most its limit.
     *
     * @return 0, the answer's body ending at {@code reply}'s position; or a negative errno, the answer
     */
    int answer(int opcode, long node, ByteBuffer request, ByteBuffer reply) {
        return switch (opcode) {
            case FuseProtocol.LOOKUP -> lookup(node, request, reply);
            case FuseProtocol.GETATTR -> getattr(node, reply);
            case FuseProtocol.OPEN -> open(node, request, reply);
            case FuseProtocol.READ -> read(node, request, reply);
            case FuseProtocol.OPENDIR -> opendir(node, reply);
            case FuseProtocol.READDIR -> readdir(node, request, reply);
            case FuseProtocol.STATFS -> statfs(reply);
            case FuseProtocol.RELEASE, FuseProtocol.RELEASEDIR, FuseProtocol.FLUSH -> 0;
            // Extended attributes, access(2) and the rest: the kernel stops asking after the first ENOSYS.
            default -> -ENOSYS;
        };
    }

    private Attributes node(long id) {
        return id == ROOT_ID ? root : id == FILE_ID ? regular : null;
    }

    private int lookup(long parent, ByteBuffer request, ByteBuffer reply) {
        if (parent != ROOT_ID) {
            return node(parent) == null ? -ENOENT : -ENOTDIR;
        }
        int start = request.position();
        int end = start;
        while (end < request.limit() && request.get(end) != 0) {
            end++;
        }
        if (end == request.limit()) {
            return -EINVAL;
        }
        boolean found = end - start == name.length;
        for (int i = 0; found && i < name.length; i++) {
            found = request.get(start + i) == name[i];
        }
        // Not found is a negative entry, which the kernel keeps as long as a found one.
        FuseProtocol.putEntry(reply, found ? regular : null, VALID_SECONDS);
        return 0;
    }

    private int getattr(long node, ByteBuffer reply) {
        Attributes attributes = node(node);
        if (attributes == null) {
            return -ENOENT;
        }
        FuseProtocol.putAttrOut(reply, attributes, VALID_SECONDS);
        return 0;
    }

    private int open(long node, ByteBuffer request, ByteBuffer reply) {
        if (node == ROOT_ID) {
            return -EISDIR;
        }
        if (node != FILE_ID) {
            return -ENOENT;
        }
        if (request.remaining() < 8) {
            return -EINVAL;
        }
        if ((request.getInt(request.position()) & O_ACCMODE) != 0) {
            return -EROFS;
        }
        FuseProtocol.putOpenOut(reply, FuseProtocol.FOPEN_KEEP_CACHE);
        return 0;
    }

    private int read(long node, ByteBuffer request, ByteBuffer reply) {
        if (node != FILE_ID) {
            return node == ROOT_ID ? -EISDIR : -ENOENT;
        }
        ReadIn asked = ReadIn.at(request, request.position());
        if (asked == null || asked.offset() < 0) {
            return -EINVAL;
        }
        long offset = asked.offset();
        long size = asked.size();
        if (offset >= file.size() || size == 0) {
            return 0;
        }
        int start = reply.position();
        int length = (int) Math.min(Math.min(size, reply.remaining()), file.size() - offset);
        reply.limit(start + length);
        try {
            int read = file.read(offset, reply);
            reply.position(start + Math.max(read, 0));
            return 0;
        } catch (IOException | RuntimeException e) {
            return -EIO;
        }
    }

    private int opendir(long node, ByteBuffer reply) {
        if (node != ROOT_ID) {
            return node == FILE_ID ? -ENOTDIR : -ENOENT;
        }
        FuseProtocol.putOpenOut(reply, 0);
        return 0;
    }

    private int readdir(long node, ByteBuffer request, ByteBuffer reply) {
        if (node != ROOT_ID) {
            return node == FILE_ID ? -ENOTDIR : -ENOENT;
        }
        ReadIn asked = ReadIn.at(request, request.position());
        if (asked == null) {
            return -EINVAL;
        }
        long offset = asked.offset();
        reply.limit(reply.position() + (int) Math.min(asked.size(), reply.remaining()));
        byte[][] names = {{'.'}, {'.', '.'}, name};
        long[] inodes = {ROOT_ID, ROOT_ID, FILE_ID};
        int[] types = {DT_DIR, DT_DIR, DT_REG};
        for (long i = Math.max(offset, 0); i < names.length; i++) {
            if (!FuseProtocol.putDirent(reply, inodes[(int) i], i + 1, types[(int) i], names[(int) i])) {
                break;
            }
        }
        return 0;
    }

    private int statfs(ByteBuffer reply) {
        FuseProtocol.putStatfs(reply, (file.size() + 4095) / 4096, 2, 4096, 255);
        return 0;
    }
}
