package dev.tether.image.squashfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A table of squashfs metadata blocks (inodes or directories) starting at a position in the image: each block a
 * 2-byte header (bit 15: stored uncompressed; bits 0-14: its size on disk) and at most 8 KiB of data once
 * decompressed. Blocks are read and decompressed once, when first needed.
 */
final class MetadataTable {
    static final int BLOCK_SIZE = 8192;
    private static final int UNCOMPRESSED = 0x8000;

    private final SquashfsSource source;
    private final SquashfsCompressor compressor;
    private final long start;
    private final long limit;
    private final Map<Long, Block> blocks = new HashMap<>();

    /** @param limit where the image's metadata ends: no block may reach past it */
    MetadataTable(SquashfsSource source, SquashfsCompressor compressor, long start, long limit) {
        this.source = source;
        this.compressor = compressor;
        this.start = start;
        this.limit = limit;
    }

    /** One decompressed block, and where the next one starts (relative to the table). */
    record Block(byte[] data, long next) {
    }

    /** The block at {@code relative} bytes from the table's start. */
    Block block(long relative) throws IOException {
        Block cached = blocks.get(relative);
        if (cached != null) {
            return cached;
        }
        Block block = readBlock(source, compressor, start + relative, limit);
        Block relativeBlock = new Block(block.data(), block.next() - start);
        blocks.put(relative, relativeBlock);
        return relativeBlock;
    }

    /** Reads one metadata block at an absolute position; its {@code next} is absolute too. */
    static Block readBlock(SquashfsSource source, SquashfsCompressor compressor, long position, long limit) throws IOException {
        if (position < 0 || position + 2 > limit) {
            throw new SquashfsFormatException("a metadata block at " + position + " lies outside the squashfs");
        }
        ByteBuffer header = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
        source.readFully(position, header);
        int word = Short.toUnsignedInt(header.getShort(0));
        int size = word & ~UNCOMPRESSED;
        if (size == 0 || size > BLOCK_SIZE || position + 2 + size > limit) {
            throw new SquashfsFormatException("the metadata block at " + position + " claims " + size + " bytes");
        }
        ByteBuffer stored = ByteBuffer.allocate(size);
        source.readFully(position + 2, stored);
        byte[] data;
        if ((word & UNCOMPRESSED) != 0) {
            data = stored.array();
        } else {
            byte[] out = new byte[BLOCK_SIZE];
            int length = compressor.decompress(stored.array(), size, out);
            data = length == out.length ? out : Arrays.copyOf(out, length);
        }
        return new Block(data, position + 2 + size);
    }

    /** A reader from {@code offset} into the block at {@code relativeBlock}, continuing into the blocks after it. */
    Cursor cursor(long relativeBlock, int offset) throws IOException {
        return new Cursor(relativeBlock, offset);
    }

    /** Reads little-endian fields across block boundaries. */
    final class Cursor {
        private Block block;
        private int offset;

        private Cursor(long relativeBlock, int offset) throws IOException {
            this.block = block(relativeBlock);
            if (offset < 0 || offset > block.data().length) {
                throw new SquashfsFormatException("a metadata reference points " + offset + " bytes into a block of "
                        + block.data().length);
            }
            this.offset = offset;
        }

        int u8() throws IOException {
            if (offset == block.data().length) {
                block = block(block.next());
                offset = 0;
            }
            return block.data()[offset++] & 0xff;
        }

        int u16() throws IOException {
            return u8() | u8() << 8;
        }

        long u32() throws IOException {
            return (long) u16() | (long) u16() << 16;
        }

        /** A 32-bit field that must fit an int (a size or a count). */
        int u32AsInt(String what) throws IOException {
            long value = u32();
            if (value > Integer.MAX_VALUE) {
                throw new SquashfsFormatException("a squashfs " + what + " of " + value + " is out of range");
            }
            return (int) value;
        }

        long u64() throws IOException {
            return u32() | u32() << 32;
        }

        byte[] bytes(int n) throws IOException {
            byte[] out = new byte[n];
            for (int i = 0; i < n; i++) {
                out[i] = (byte) u8();
            }
            return out;
        }

        void skip(long n) throws IOException {
            for (long i = 0; i < n; i++) {
                u8();
            }
        }
    }
}
