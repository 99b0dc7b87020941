package dev.tether.agent.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The answers to the kernel's requests, byte by byte, as {@code fuse.h} lays them out; {@link FuseMountTest} has the
 * kernel read them. Here also the requests the kernel would not send (a name without its terminator, a short body),
 * which are refused rather than read past.
 */
class SingleFileFilesystemTest {
    private static final int SIZE = 100_000;
    private static final long FILE = SingleFileFilesystem.FILE_ID;
    private final SingleFileFilesystem filesystem = new SingleFileFilesystem("root.sfs", new ReadOnlyFile() {
        @Override
        public long size() {
            return SIZE;
        }

        @Override
        public int read(long position, ByteBuffer dst) throws IOException {
            if (position == 4096) {
                throw new IOException("no edge has it");
            }
            int n = (int) Math.min(dst.remaining(), SIZE - position);
            for (int i = 0; i < n; i++) {
                dst.put((byte) (position + i));
            }
            return n;
        }
    });
    private final ByteBuffer reply = ByteBuffer.allocate(256 * 1024).order(ByteOrder.nativeOrder());

    private static ByteBuffer body(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }

    private static ByteBuffer name(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        return body(bytes.length + 1).put(bytes).put((byte) 0).flip();
    }

    private static ByteBuffer readIn(long offset, int size) {
        return body(FuseProtocol.READ_IN_SIZE).putLong(0).putLong(offset).putInt(size).putInt(0).putLong(0).putLong(0)
                .flip();
    }

    private int answer(int opcode, long node, ByteBuffer request) {
        reply.clear();
        return filesystem.answer(opcode, node, request, reply);
    }

    @Test
    void theFileIsFoundByItsNameWithItsSizeAndAnyOtherNameIsANegativeEntry() {
        assertThat(answer(FuseProtocol.LOOKUP, FuseProtocol.ROOT_ID, name("root.sfs"))).isZero();
        assertThat(reply.position()).isEqualTo(FuseProtocol.ENTRY_OUT_SIZE);
        assertThat(reply.getLong(0)).as("node id").isEqualTo(FILE);
        assertThat(reply.getLong(16)).as("entry valid, seconds").isEqualTo(86_400);
        assertThat(reply.getLong(40 + 8)).as("size").isEqualTo(SIZE);
        assertThat(reply.getInt(40 + 60)).as("mode").isEqualTo(FuseProtocol.S_IFREG | 0444);

        assertThat(answer(FuseProtocol.LOOKUP, FuseProtocol.ROOT_ID, name("root.sf"))).isZero();
        assertThat(reply.getLong(0)).as("a negative entry's node id").isZero();
        assertThat(reply.getLong(16)).as("kept as long").isEqualTo(86_400);

        assertThat(answer(FuseProtocol.LOOKUP, FILE, name("x"))).isEqualTo(-FuseProtocol.ENOTDIR);
        assertThat(answer(FuseProtocol.LOOKUP, 99, name("x"))).isEqualTo(-FuseProtocol.ENOENT);
        ByteBuffer unterminated = body(8).put("root.sfs".getBytes(StandardCharsets.UTF_8)).flip();
        assertThat(answer(FuseProtocol.LOOKUP, FuseProtocol.ROOT_ID, unterminated)).isEqualTo(-FuseProtocol.EINVAL);
    }

    @Test
    void readsAreCutAtTheEndOfTheFileAndAFailedReadIsAnIoError() {
        assertThat(answer(FuseProtocol.READ, FILE, readIn(SIZE - 10, 4096))).isZero();
        assertThat(reply.position()).isEqualTo(10);
        assertThat(reply.get(0)).isEqualTo((byte) (SIZE - 10));
        assertThat(answer(FuseProtocol.READ, FILE, readIn(SIZE, 4096))).isZero();
        assertThat(reply.position()).isZero();
        assertThat(answer(FuseProtocol.READ, FILE, readIn(0, 1 << 30))).as("more than fits").isZero();
        assertThat(reply.position()).isEqualTo(SIZE);
        assertThat(answer(FuseProtocol.READ, FILE, readIn(4096, 4096))).isEqualTo(-FuseProtocol.EIO);
        assertThat(answer(FuseProtocol.READ, FILE, readIn(-1, 4096))).isEqualTo(-FuseProtocol.EINVAL);
        assertThat(answer(FuseProtocol.READ, FILE, body(8))).isEqualTo(-FuseProtocol.EINVAL);
        assertThat(answer(FuseProtocol.READ, FuseProtocol.ROOT_ID, readIn(0, 10))).isEqualTo(-FuseProtocol.EISDIR);
    }

    @Test
    void theDirectoryListsItselfItsParentAndTheFileFromAnyOffset() {
        assertThat(answer(FuseProtocol.READDIR, FuseProtocol.ROOT_ID, readIn(0, 4096))).isZero();
        // ".", ".." and "root.sfs": 24-byte headers, names padded to 8 bytes.
        assertThat(reply.position()).isEqualTo(32 + 32 + 32);
        assertThat(reply.getLong(64)).as("the file's inode").isEqualTo(FILE);
        assertThat(reply.getLong(64 + 8)).as("the offset after it").isEqualTo(3);
        assertThat(reply.getInt(64 + 16)).as("its name's length").isEqualTo(8);
        assertThat(reply.getInt(64 + 20)).isEqualTo(FuseProtocol.DT_REG);

        assertThat(answer(FuseProtocol.READDIR, FuseProtocol.ROOT_ID, readIn(2, 4096))).isZero();
        assertThat(reply.position()).as("only the file, from offset 2").isEqualTo(32);
        assertThat(answer(FuseProtocol.READDIR, FuseProtocol.ROOT_ID, readIn(3, 4096))).isZero();
        assertThat(reply.position()).as("nothing after the last").isZero();
        assertThat(answer(FuseProtocol.READDIR, FuseProtocol.ROOT_ID, readIn(0, 40))).isZero();
        assertThat(reply.position()).as("as many whole entries as the size allows").isEqualTo(32);
        assertThat(answer(FuseProtocol.READDIR, FILE, readIn(0, 4096))).isEqualTo(-FuseProtocol.ENOTDIR);
    }

    @Test
    void theFileOpensForReadingOnlyAndWhatTheFilesystemDoesNotDoIsNotImplemented() {
        ByteBuffer readOnly = body(8).putInt(0).putInt(0).flip();
        assertThat(answer(FuseProtocol.OPEN, FILE, readOnly)).isZero();
        assertThat(reply.getInt(8)).as("open flags").isEqualTo(FuseProtocol.FOPEN_KEEP_CACHE);
        ByteBuffer readWrite = body(8).putInt(2).putInt(0).flip();
        assertThat(answer(FuseProtocol.OPEN, FILE, readWrite)).isEqualTo(-FuseProtocol.EROFS);
        assertThat(answer(FuseProtocol.OPEN, FuseProtocol.ROOT_ID, readOnly.rewind())).isEqualTo(-FuseProtocol.EISDIR);
        assertThat(answer(FuseProtocol.GETATTR, FuseProtocol.ROOT_ID, body(16))).isZero();
        assertThat(reply.position()).isEqualTo(FuseProtocol.ATTR_OUT_SIZE);
        assertThat(reply.getInt(16 + 60)).as("the root's mode").isEqualTo(FuseProtocol.S_IFDIR | 0555);
        assertThat(answer(FuseProtocol.STATFS, FuseProtocol.ROOT_ID, body(0))).isZero();
        assertThat(reply.position()).isEqualTo(FuseProtocol.STATFS_OUT_SIZE);
        assertThat(reply.getLong(0)).as("4 KiB blocks").isEqualTo((SIZE + 4095) / 4096);
        int setxattr = 21;
        assertThat(answer(setxattr, FILE, body(16))).isEqualTo(-FuseProtocol.ENOSYS);
    }
}
