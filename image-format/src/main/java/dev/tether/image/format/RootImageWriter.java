package dev.tether.image.format;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Writes a container as the plaintext streams in, one chunk in memory at a time. The plaintext size
 * is part of the authenticated header, so it is declared up front and {@link #close()} refuses a
 * stream that delivered more or less.
 */
public final class RootImageWriter implements Closeable {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Below this, warming up the JIT costs more than it saves. */
    private static final long WARM_UP_THRESHOLD = 32L << 20;

    private final WritableByteChannel out;
    private final ImageHeader header;
    private final ChunkSealer sealer;
    private final ByteBuffer plain;
    private final ByteBuffer sealed;
    /** The hashes of an unencrypted container's chunks, for its manifest to pin; null when encrypted. */
    private final ByteArrayOutputStream chunkHashes;
    private long nextChunk;
    private long written;
    private boolean closed;

    private RootImageWriter(WritableByteChannel out, ImageHeader header, ImageKey key) throws IOException {
        this.out = out;
        this.header = header;
        this.sealer = new ChunkSealer(header, key);
        this.plain = ByteBuffer.allocate(header.chunkSize());
        this.sealed = ByteBuffer.allocate(header.sealedChunkSize());
        this.chunkHashes = header.cipher().encrypted() ? null : new ByteArrayOutputStream();
        writeFully(ByteBuffer.wrap(header.encoded()));
    }

    /** Starts a container on {@code out}; the caller owns the channel and closes it after this writer. */
    public static RootImageWriter start(WritableByteChannel out, long plaintextSize, ImageOptions options)
            throws IOException {
        byte[] salt = new byte[ImageHeader.SALT_LENGTH];
        RANDOM.nextBytes(salt);
        byte[] keyId = options.key() == null ? new byte[ImageKey.KEY_ID_LENGTH] : options.key().keyId();
        ImageHeader header = new ImageHeader(options.cipher(), options.chunkSize(), plaintextSize, keyId, salt);
        if (options.cipher().encrypted() && plaintextSize >= WARM_UP_THRESHOLD) {
            GcmWarmUp.ensure();
        }
        return new RootImageWriter(out, header, options.key());
    }

    /** Seals the whole of {@code plaintextFile} into {@code containerFile} (created or truncated). */
    public static ImageHeader writeFile(Path plaintextFile, Path containerFile, ImageOptions options)
            throws IOException {
        try (FileChannel in = FileChannel.open(plaintextFile, StandardOpenOption.READ);
             FileChannel target = FileChannel.open(containerFile, StandardOpenOption.CREATE,
                     StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            RootImageWriter writer = start(target, in.size(), options);
            ByteBuffer buffer = ByteBuffer.allocate(options.chunkSize());
            while (in.read(buffer.clear()) >= 0) {
                writer.write(buffer.flip());
            }
            writer.close();
            return writer.header();
        }
    }

    public ImageHeader header() {
        return header;
    }

    /**
     * The hashes of the chunks of an unencrypted container as written, for the manifest to pin; null for an
     * encrypted one, whose chunks are bound by their tags.
     *
     * @throws IllegalStateException before {@link #close()}, when the last chunk may still be missing
     */
    public ChunkHashes chunkHashes() {
        if (!closed) {
            throw new IllegalStateException("the chunk hashes are known once the writer is closed");
        }
        return chunkHashes == null ? null : ChunkHashes.of(chunkHashes.toByteArray());
    }

    /** Plaintext bytes accepted so far. */
    public long written() {
        return written;
    }

    public void write(byte[] bytes, int offset, int length) throws IOException {
        write(ByteBuffer.wrap(bytes, offset, length));
    }

    /** Takes all remaining bytes of {@code source}, sealing each chunk as it fills. */
    public void write(ByteBuffer source) throws IOException {
        if (closed) {
            throw new IOException("root image writer is closed");
        }
        if (written + source.remaining() > header.plaintextSize()) {
            throw new IOException("more plaintext than the declared " + header.plaintextSize() + " bytes");
        }
        while (source.hasRemaining()) {
            int take = Math.min(plain.remaining(), source.remaining());
            plain.put(source.slice(source.position(), take));
            source.position(source.position() + take);
            written += take;
            if (!plain.hasRemaining()) {
                flushChunk();
            }
        }
    }

    private void flushChunk() throws IOException {
        plain.flip();
        sealed.clear();
        sealer.seal(nextChunk++, plain, sealed);
        if (chunkHashes != null) {
            // An unencrypted chunk ends with its hash (ChunkSealer).
            chunkHashes.write(sealed.array(), sealed.position() - ChunkHashes.HASH_LENGTH, ChunkHashes.HASH_LENGTH);
        }
        writeFully(sealed.flip());
        plain.clear();
    }

    private void writeFully(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /** Seals the last partial chunk. Fails, leaving the output incomplete, if the plaintext came up short. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (written != header.plaintextSize()) {
            throw new IOException("plaintext ended after " + written + " of the declared "
                    + header.plaintextSize() + " bytes");
        }
        if (plain.position() > 0) {
            flushChunk();
        }
    }
}
