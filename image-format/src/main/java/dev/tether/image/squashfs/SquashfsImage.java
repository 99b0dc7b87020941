package dev.tether.image.squashfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Reads a squashfs 4.0 image's metadata (superblock, inode table, directory table, fragment table) to say where
 * each regular file's data lies: what a trace of reads of the image needs to name the files that were read.
 * Data blocks are never decompressed. Everything read is bounded, so a damaged image fails with a
 * {@link SquashfsFormatException} instead of exhausting memory.
 */
public final class SquashfsImage {
    /** Squashfs names are at most 256 bytes; a directory header lists at most 256 entries. */
    private static final int MAX_NAME = 256;
    private static final int MAX_HEADER_ENTRIES = 256;
    private static final int MAX_DEPTH = 512;
    /** 32 MiB of block sizes in one inode: a file of 4 TiB at 1 MiB blocks. */
    private static final long MAX_BLOCKS_PER_FILE = 8L << 20;
    private static final long NO_FRAGMENT = 0xFFFF_FFFFL;
    private static final int FRAGMENTS_PER_BLOCK = MetadataTable.BLOCK_SIZE / 16;
    private static final int BLOCK_SIZE_MASK = 0x00FF_FFFF;

    private static final int BASIC_DIRECTORY = 1;
    private static final int BASIC_FILE = 2;
    private static final int EXTENDED_DIRECTORY = 8;
    private static final int EXTENDED_FILE = 9;

    private final Superblock superblock;
    private final MetadataTable inodes;
    private final MetadataTable directories;
    private final List<DiskRange> fragments;

    private SquashfsImage(Superblock superblock, MetadataTable inodes, MetadataTable directories, List<DiskRange> fragments) {
        this.superblock = superblock;
        this.inodes = inodes;
        this.directories = directories;
        this.fragments = fragments;
    }

    /** Reads the superblock and the fragment table; the inode and directory tables are read as {@link #files()} walks. */
    public static SquashfsImage open(SquashfsSource source) throws IOException {
        Superblock superblock = Superblock.read(source);
        long limit = superblock.bytesUsed();
        MetadataTable inodes = new MetadataTable(source, superblock.compressor(), superblock.inodeTableStart(), limit);
        MetadataTable directories = new MetadataTable(source, superblock.compressor(), superblock.directoryTableStart(), limit);
        return new SquashfsImage(superblock, inodes, directories, readFragments(source, superblock));
    }

    public Superblock superblock() {
        return superblock;
    }

    /** The fragment blocks, by fragment index. */
    public List<DiskRange> fragments() {
        return fragments;
    }

    private static List<DiskRange> readFragments(SquashfsSource source, Superblock superblock) throws IOException {
        if (!superblock.hasFragments()) {
            return List.of();
        }
        long count = superblock.fragmentCount();
        long indexEntries = (count + FRAGMENTS_PER_BLOCK - 1) / FRAGMENTS_PER_BLOCK;
        if (superblock.fragmentTableStart() + indexEntries * 8 > superblock.bytesUsed()) {
            throw new SquashfsFormatException("the squashfs's fragment table of " + count + " entries reaches past its end");
        }
        ByteBuffer index = ByteBuffer.allocate((int) indexEntries * 8).order(ByteOrder.LITTLE_ENDIAN);
        source.readFully(superblock.fragmentTableStart(), index);
        List<DiskRange> fragments = new ArrayList<>((int) count);
        for (int i = 0; i < indexEntries; i++) {
            byte[] block = MetadataTable.readBlock(source, superblock.compressor(), index.getLong(i * 8),
                    superblock.bytesUsed()).data();
            ByteBuffer entries = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
            while (entries.remaining() >= 16 && fragments.size() < count) {
                long start = entries.getLong();
                int size = entries.getInt() & BLOCK_SIZE_MASK;
                entries.getInt();
                fragments.add(dataRange(superblock, start, size));
            }
        }
        if (fragments.size() != count) {
            throw new SquashfsFormatException("the squashfs's fragment table holds " + fragments.size() + " of its "
                    + count + " entries");
        }
        return List.copyOf(fragments);
    }

    private static DiskRange dataRange(Superblock superblock, long start, long length) throws SquashfsFormatException {
        if (start < 0 || length < 0 || start + length > superblock.bytesUsed()) {
            throw new SquashfsFormatException("data at " + start + " (" + length + " bytes) lies outside the squashfs");
        }
        return new DiskRange(start, length);
    }

    /** Every regular file, one entry per path (hard links share an inode number), directories in name order, depth first. */
    public List<SquashfsFile> files() throws IOException {
        List<SquashfsFile> files = new ArrayList<>();
        Deque<PendingDirectory> pending = new ArrayDeque<>();
        pending.push(new PendingDirectory("", superblock.rootInodeReference(), 0));
        long visited = 0;
        while (!pending.isEmpty()) {
            PendingDirectory directory = pending.pop();
            if (directory.depth() > MAX_DEPTH) {
                throw new SquashfsFormatException("the squashfs nests directories deeper than " + MAX_DEPTH + " at "
                        + directory.path());
            }
            List<PendingDirectory> subdirectories = new ArrayList<>();
            for (DirectoryEntry entry : list(directory.inodeReference())) {
                if (++visited > superblock.inodeCount() * 2 + 16) {
                    // Hard links aside, every entry is an inode of its own: a loop in the tables would never end.
                    throw new SquashfsFormatException("the squashfs's directories list more entries than it has inodes");
                }
                String path = directory.path() + "/" + entry.name();
                if (entry.type() == BASIC_DIRECTORY) {
                    subdirectories.add(new PendingDirectory(path, entry.inodeReference(), directory.depth() + 1));
                } else if (entry.type() == BASIC_FILE) {
                    files.add(file(path, entry.inodeReference()));
                }
            }
            // Pushed in reverse, so they are walked in name order.
            for (int i = subdirectories.size() - 1; i >= 0; i--) {
                pending.push(subdirectories.get(i));
            }
        }
        return files;
    }

    private record PendingDirectory(String path, long inodeReference, int depth) {
    }

    private record DirectoryEntry(String name, int type, long inodeReference) {
    }

    private MetadataTable.Cursor inode(long reference) throws IOException {
        return inodes.cursor(reference >>> 16, (int) (reference & 0xffff));
    }

    private List<DirectoryEntry> list(long directoryReference) throws IOException {
        MetadataTable.Cursor inode = inode(directoryReference);
        int type = inode.u16();
        inode.skip(14);
        long listingBlock;
        int listingOffset;
        long listingSize;
        if (type == BASIC_DIRECTORY) {
            listingBlock = inode.u32();
            inode.u32();
            listingSize = inode.u16();
            listingOffset = inode.u16();
        } else if (type == EXTENDED_DIRECTORY) {
            inode.u32();
            listingSize = inode.u32();
            listingBlock = inode.u32();
            inode.u32();
            inode.u16();
            listingOffset = inode.u16();
        } else {
            throw new SquashfsFormatException("a directory entry points to an inode of type " + type + ", not a directory");
        }
        // The stored size counts "." and ".." as 3 bytes that are not in the listing.
        long remaining = listingSize - 3;
        List<DirectoryEntry> entries = new ArrayList<>();
        if (remaining <= 0) {
            return entries;
        }
        MetadataTable.Cursor listing = directories.cursor(listingBlock, listingOffset);
        while (remaining > 0) {
            int count = listing.u32AsInt("directory header count") + 1;
            long inodeBlock = listing.u32();
            listing.u32();
            remaining -= 12;
            if (count > MAX_HEADER_ENTRIES) {
                throw new SquashfsFormatException("a squashfs directory header lists " + count + " entries (at most "
                        + MAX_HEADER_ENTRIES + ")");
            }
            for (int i = 0; i < count; i++) {
                int offset = listing.u16();
                listing.u16();
                int entryType = listing.u16();
                int nameSize = listing.u16() + 1;
                if (nameSize > MAX_NAME) {
                    throw new SquashfsFormatException("a squashfs name is " + nameSize + " bytes long (at most " + MAX_NAME + ")");
                }
                String name = new String(listing.bytes(nameSize), StandardCharsets.UTF_8);
                remaining -= 8 + nameSize;
                entries.add(new DirectoryEntry(name, entryType, inodeBlock << 16 | offset));
            }
            if (remaining < 0) {
                throw new SquashfsFormatException("a squashfs directory listing runs past its stated size");
            }
        }
        return entries;
    }

    private SquashfsFile file(String path, long reference) throws IOException {
        MetadataTable.Cursor inode = inode(reference);
        int type = inode.u16();
        inode.skip(10);
        long inodeNumber = inode.u32();
        long blocksStart;
        long fragmentIndex;
        long size;
        if (type == BASIC_FILE) {
            blocksStart = inode.u32();
            fragmentIndex = inode.u32();
            inode.u32();
            size = inode.u32();
        } else if (type == EXTENDED_FILE) {
            blocksStart = inode.u64();
            size = inode.u64();
            inode.u64();
            inode.u32();
            fragmentIndex = inode.u32();
            inode.u32();
            inode.u32();
        } else {
            throw new SquashfsFormatException("the entry " + path + " points to an inode of type " + type + ", not a file");
        }
        if (size < 0) {
            throw new SquashfsFormatException("the file " + path + " claims a negative size");
        }
        boolean hasFragment = fragmentIndex != NO_FRAGMENT;
        long blockSize = superblock.blockSize();
        long blockCount = hasFragment ? size / blockSize : (size + blockSize - 1) / blockSize;
        if (blockCount > MAX_BLOCKS_PER_FILE) {
            throw new SquashfsFormatException("the file " + path + " has " + blockCount + " blocks, more than this reader"
                    + " takes (" + MAX_BLOCKS_PER_FILE + ")");
        }
        long stored = 0;
        for (long i = 0; i < blockCount; i++) {
            // A size of 0 is a sparse block: nothing stored.
            stored += inode.u32() & BLOCK_SIZE_MASK;
        }
        DiskRange fragment = null;
        if (hasFragment) {
            if (fragmentIndex >= fragments.size()) {
                throw new SquashfsFormatException("the file " + path + " names fragment " + fragmentIndex + " of "
                        + fragments.size());
            }
            fragment = fragments.get((int) fragmentIndex);
        }
        return new SquashfsFile(path, inodeNumber, size, dataRange(superblock, blocksStart, stored), fragment);
    }
}
