package dev.tether.image.format;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * Random access to the plaintext of a container, checking each chunk before any of its bytes are
 * returned. Safe for concurrent use: each thread keeps its own {@link ChunkSealer} and its most
 * recently opened chunk, so small sequential reads open a chunk once.
 */
public final class RootImageReader implements Closeable {
    private final ChunkSource source;
    private final ImageHeader header;
    private final ImageKey key;
    private final ThreadLocal<ThreadState> state;

    private RootImageReader(ChunkSource source, ImageHeader header, ImageKey key) {
        this.source = source;
        this.header = header;
        this.key = key;
        this.state = ThreadLocal.withInitial(this::newState);
    }

    /**
     * Reads and checks the header, then the key against the header's key id (before decrypting
     * anything), then the container size if the source knows it. The reader owns the source.
     *
     * @param key the image key; {@code null} for an unencrypted image
     * @throws KeyMismatchException when the key is not the image's
     * @throws ImageFormatException when the header is bad, a key is missing or the container is truncated
     */
    public static RootImageReader open(ChunkSource source, ImageKey key) throws IOException {
        ImageHeader header = readHeader(source);
        new ChunkSealer(header, key);
        long size = source.size();
        if (size >= 0 && size != header.containerSize()) {
            throw new ImageFormatException(size < header.containerSize()
                    ? "root image is truncated: " + size + " of " + header.containerSize() + " bytes present"
                    : "root image has " + (size - header.containerSize()) + " unexpected bytes after its last chunk");
        }
        return new RootImageReader(source, header, key);
    }

    /** Reads and checks only the header, for a look at an image without its key. */
    public static ImageHeader readHeader(ChunkSource source) throws IOException {
        return ImageHeader.decode(source.readHeader());
    }

    public ImageHeader header() {
        return header;
    }

    /** The plaintext size. */
    public long size() {
        return header.plaintextSize();
    }

    /**
     * Fetches, checks and opens chunk {@code index}. The returned read-only buffer is valid until this
     * thread's next call on this reader.
     *
     * @throws ChunkIntegrityException naming the chunk when it was changed or is short
     */
    public ByteBuffer readChunk(long index) throws IOException {
        ThreadState thread = state.get();
        if (thread.openedIndex != index) {
            thread.openedIndex = -1;
            ByteBuffer sealed = source.readChunk(header.locate(index));
            thread.plain.clear();
            thread.sealer.open(index, sealed, thread.plain);
            thread.plain.flip();
            thread.openedIndex = index;
        }
        return thread.plain.asReadOnlyBuffer();
    }

    /**
     * Copies plaintext starting at {@code position} into {@code dst} until it is full or the image ends.
     *
     * @return the number of bytes copied, or -1 when {@code position} is at or past the end
     */
    public int read(long position, ByteBuffer dst) throws IOException {
        if (position < 0) {
            throw new IllegalArgumentException("negative position " + position);
        }
        if (position >= header.plaintextSize()) {
            return -1;
        }
        int copied = 0;
        while (dst.hasRemaining() && position < header.plaintextSize()) {
            long index = header.chunkIndexAt(position);
            ByteBuffer chunk = readChunk(index);
            int within = (int) (position - (index * header.chunkSize()));
            int take = Math.min(dst.remaining(), chunk.limit() - within);
            dst.put(chunk.slice(within, take));
            position += take;
            copied += take;
        }
        return copied;
    }

    /** Writes the whole plaintext to {@code out}, checking every chunk on the way. */
    public void transferTo(WritableByteChannel out) throws IOException {
        for (long index = 0; index < header.chunkCount(); index++) {
            ByteBuffer chunk = readChunk(index);
            while (chunk.hasRemaining()) {
                out.write(chunk);
            }
        }
    }

    /** Checks every chunk without keeping any plaintext. */
    public void verifyAll() throws IOException {
        for (long index = 0; index < header.chunkCount(); index++) {
            readChunk(index);
        }
    }

    @Override
    public void close() throws IOException {
        source.close();
    }

    private ThreadState newState() {
        try {
            return new ThreadState(new ChunkSealer(header, key), ByteBuffer.allocate(header.chunkSize()));
        } catch (ImageFormatException e) {
            throw new IllegalStateException("key was checked when the reader was opened", e);
        }
    }

    private static final class ThreadState {
        final ChunkSealer sealer;
        final ByteBuffer plain;
        long openedIndex = -1;

        ThreadState(ChunkSealer sealer, ByteBuffer plain) {
            this.sealer = sealer;
            this.plain = plain;
        }
    }
}
