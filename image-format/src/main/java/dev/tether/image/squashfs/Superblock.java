package dev.tether.image.squashfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 96-byte squashfs 4.0 superblock (little-endian), as far as finding the tables needs it.
 *
 * @param blockSize the data block size (4 KiB to 1 MiB)
 * @param fragmentCount entries in the fragment table
 * @param rootInodeReference where the root directory's inode is: metadata block (from the inode table) and offset
 * @param bytesUsed the filesystem's size; a squashfs file is padded beyond it
 */
public record Superblock(long inodeCount, int blockSize, long fragmentCount, SquashfsCompressor compressor, int flags,
        long rootInodeReference, long bytesUsed, long inodeTableStart, long directoryTableStart, long fragmentTableStart) {
    static final int SIZE = 96;
    private static final int MAGIC = 0x73717368;
    private static final int NO_FRAGMENTS = 0x0010;

    static Superblock read(SquashfsSource source) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        source.readFully(0, bytes);
        bytes.flip();
        if (bytes.getInt(0) != MAGIC) {
            throw new SquashfsFormatException("not a squashfs (no hsqs magic at the start)");
        }
        int major = Short.toUnsignedInt(bytes.getShort(28));
        int minor = Short.toUnsignedInt(bytes.getShort(30));
        if (major != 4 || minor != 0) {
            throw new SquashfsFormatException("squashfs " + major + "." + minor + " is not 4.0, the only version Linux mounts");
        }
        int blockSize = bytes.getInt(12);
        int blockLog = Short.toUnsignedInt(bytes.getShort(22));
        if (blockSize < 4096 || blockSize > 1 << 20 || blockLog > 20 || 1 << blockLog != blockSize) {
            throw new SquashfsFormatException("the squashfs's block size " + blockSize + " is not a power of two from 4 KiB to 1 MiB");
        }
        Superblock superblock = new Superblock(Integer.toUnsignedLong(bytes.getInt(4)), blockSize,
                Integer.toUnsignedLong(bytes.getInt(16)), SquashfsCompressor.of(Short.toUnsignedInt(bytes.getShort(20))),
                Short.toUnsignedInt(bytes.getShort(24)), bytes.getLong(32), bytes.getLong(40), bytes.getLong(64),
                bytes.getLong(72), bytes.getLong(80));
        superblock.check();
        return superblock;
    }

    private void check() throws SquashfsFormatException {
        if (bytesUsed < SIZE || inodeTableStart < SIZE || inodeTableStart >= bytesUsed || directoryTableStart < inodeTableStart
                || directoryTableStart >= bytesUsed) {
            throw new SquashfsFormatException("the squashfs's superblock places its tables outside the filesystem");
        }
        if (hasFragments() && (fragmentTableStart < SIZE || fragmentTableStart >= bytesUsed)) {
            throw new SquashfsFormatException("the squashfs's superblock places its fragment table outside the filesystem");
        }
    }

    boolean hasFragments() {
        return fragmentCount > 0 && (flags & NO_FRAGMENTS) == 0;
    }
}
