package dev.tether.image.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The fixed {@value #SIZE}-byte header of a root image container, and the arithmetic that places every
 * chunk, so that a network reader can turn a chunk index into one HTTP range.
 *
 * <pre>
 * offset size
 *   0     8  magic "TETHRIMG"
 *   8     2  format version (big endian)
 *  10     1  cipher code ({@link ImageCipher})
 *  11     1  log2 of the chunk size
 *  12     4  reserved, zero
 *  16     8  plaintext size in bytes
 *  24    16  key id (zero when unencrypted)
 *  40    32  random salt
 *  72    24  reserved, zero
 *  96    32  SHA-256 of bytes 0..95: the header digest
 * </pre>
 *
 * The header digest is bound into every chunk's tag, so with a key any change to the header fails every
 * chunk; without one it still catches accidental corruption.
 */
public final class ImageHeader {
    public static final int SIZE = 128;
    public static final int VERSION = 1;
    public static final int MIN_CHUNK_SIZE = 16 * 1024;
    public static final int MAX_CHUNK_SIZE = 16 * 1024 * 1024;
    /**
     * 16 KiB, the smallest (issue #16): a tethered node fetches and verifies whole chunks, and a random read of the
     * root is one squashfs block, a read of up to 128 KiB at any page of the image. At 256 KiB chunks that read fetched
     * and decrypted 1.5 chunks on average (384 KiB, from one edge or two); at 64 KiB 2 or 3 chunks (about 176 KiB); at
     * 16 KiB it is the block and at most 32 KiB around it, which the agent fetches from the edges in runs of at least
     * 64 KiB (the agent's RemoteRootImage.MIN_SPLIT_BYTES says why). The data-plane bench measured it: 128 KiB random
     * reads through the reader alone 3.7 ms p50 at 256 KiB, 1.6 ms at 64 KiB; random 4K reads each in a block of its
     * own, 531 to 669 IOPS at 64 KiB over five runs, 889 to 1142 at 16 KiB split one run per edge over six, 782 to
     * 867 with that floor over four (the reference, urlmount3's design, 945 to 1129); sequential reads (222 to
     * 281 MiB/s and 248 to 291) and the untethered download (236 to 269 MiB/s and 246 to 293) the same within the
     * runs' spread (2026-12-04): the agent fetches runs of consecutive chunks with one request. The cost: four times
     * the chunks to open (the AES-GCM tag of each is checked as before), and an unencrypted image, whose manifest pins
     * each chunk's hash, holds at most 256 MiB at this size (imgutil picks larger chunks for a larger one). Chunks of
     * 8 and 4 KiB were measured too (2026-12-07, docs/architecture.md): a random read fetched less, but the bench's
     * random 4K IOPS and the VM boot stayed within their run-to-run spread, so the format's floor stays here.
     */
    public static final int DEFAULT_CHUNK_SIZE = 16 * 1024;
    public static final int SALT_LENGTH = 32;

    private static final byte[] MAGIC = "TETHRIMG".getBytes(StandardCharsets.US_ASCII);
    private static final int DIGESTED_LENGTH = 96;

    private final ImageCipher cipher;
    private final int chunkShift;
    private final long plaintextSize;
    private final byte[] keyId;
    private final byte[] salt;
    private final byte[] encoded;

    ImageHeader(ImageCipher cipher, int chunkSize, long plaintextSize, byte[] keyId, byte[] salt) {
        checkChunkSize(chunkSize);
        if (plaintextSize < 0) {
            throw new IllegalArgumentException("plaintext size must not be negative: " + plaintextSize);
        }
        if (keyId.length != ImageKey.KEY_ID_LENGTH || salt.length != SALT_LENGTH) {
            throw new IllegalArgumentException("key id must be 16 bytes and salt 32 bytes");
        }
        this.cipher = cipher;
        this.chunkShift = Integer.numberOfTrailingZeros(chunkSize);
        this.plaintextSize = plaintextSize;
        this.keyId = keyId.clone();
        this.salt = salt.clone();
        this.encoded = encode();
    }

    /** Throws {@link IllegalArgumentException} unless the size is a power of two within the bounds. */
    public static void checkChunkSize(int chunkSize) {
        if (Integer.bitCount(chunkSize) != 1 || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException("chunk size must be a power of two from 16 KiB to 16 MiB, not "
                    + chunkSize + " bytes");
        }
    }

    /** Parses and checks a header; the buffer's remaining bytes must be at least {@value #SIZE}. */
    public static ImageHeader decode(ByteBuffer source) throws ImageFormatException {
        if (source.remaining() < SIZE) {
            throw new ImageFormatException("not a Tether root image: only " + source.remaining()
                    + " bytes, shorter than the " + SIZE + "-byte header");
        }
        byte[] bytes = new byte[SIZE];
        source.duplicate().get(bytes);
        if (!Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new ImageFormatException("not a Tether root image (bad magic)");
        }
        if (!MessageDigest.isEqual(sha256(bytes, DIGESTED_LENGTH), Arrays.copyOfRange(bytes, DIGESTED_LENGTH, SIZE))) {
            throw new ImageFormatException("root image header is corrupt (its checksum does not match)");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
        int version = Short.toUnsignedInt(in.getShort(8));
        if (version != VERSION) {
            throw new ImageFormatException("root image format version " + version + " is not supported (this reader knows "
                    + VERSION + ")");
        }
        ImageCipher cipher = ImageCipher.fromCode(Byte.toUnsignedInt(in.get(10)));
        int chunkShift = Byte.toUnsignedInt(in.get(11));
        if (chunkShift < Integer.numberOfTrailingZeros(MIN_CHUNK_SIZE)
                || chunkShift > Integer.numberOfTrailingZeros(MAX_CHUNK_SIZE)) {
            throw new ImageFormatException("root image header has an invalid chunk size 2^" + chunkShift);
        }
        long plaintextSize = in.getLong(16);
        if (plaintextSize < 0) {
            throw new ImageFormatException("root image header has a negative plaintext size");
        }
        return new ImageHeader(cipher, 1 << chunkShift, plaintextSize,
                Arrays.copyOfRange(bytes, 24, 40), Arrays.copyOfRange(bytes, 40, 72));
    }

    private byte[] encode() {
        ByteBuffer out = ByteBuffer.allocate(SIZE).order(ByteOrder.BIG_ENDIAN);
        out.put(MAGIC);
        out.putShort((short) VERSION);
        out.put((byte) cipher.code());
        out.put((byte) chunkShift);
        out.putInt(0);
        out.putLong(plaintextSize);
        out.put(keyId);
        out.put(salt);
        out.position(DIGESTED_LENGTH);
        byte[] bytes = out.array();
        System.arraycopy(sha256(bytes, DIGESTED_LENGTH), 0, bytes, DIGESTED_LENGTH, 32);
        return bytes;
    }

    /** The {@value #SIZE} bytes as written at the start of the container. */
    public byte[] encoded() {
        return encoded.clone();
    }

    /** SHA-256 of the header fields, bound into every chunk's tag. */
    public byte[] digest() {
        return Arrays.copyOfRange(encoded, DIGESTED_LENGTH, SIZE);
    }

    public int version() {
        return VERSION;
    }

    public ImageCipher cipher() {
        return cipher;
    }

    public int chunkSize() {
        return 1 << chunkShift;
    }

    public long plaintextSize() {
        return plaintextSize;
    }

    public byte[] keyId() {
        return keyId.clone();
    }

    /** The key id in hex, or the empty string for an unencrypted image. */
    public String keyIdHex() {
        return cipher.encrypted() ? HexFormat.of().formatHex(keyId) : "";
    }

    public byte[] salt() {
        return salt.clone();
    }

    public long chunkCount() {
        return (plaintextSize + chunkSize() - 1) >>> chunkShift;
    }

    /** The chunks a container of {@code plaintextSize} bytes has at {@code chunkSize}, before there is a header. */
    public static long chunkCount(long plaintextSize, int chunkSize) {
        return (plaintextSize + chunkSize - 1) / chunkSize;
    }

    /** Bytes one full chunk takes in the container: body plus tag or hash. */
    public int sealedChunkSize() {
        return chunkSize() + cipher.overhead();
    }

    /** The container's offset of chunk {@code index}. */
    public long chunkOffset(long index) {
        checkIndex(index);
        return SIZE + index * sealedChunkSize();
    }

    /** The number of container bytes chunk {@code index} takes; the last chunk may be shorter. */
    public int chunkLength(long index) {
        return plaintextLength(index) + cipher.overhead();
    }

    /** The number of plaintext bytes in chunk {@code index}. */
    public int plaintextLength(long index) {
        checkIndex(index);
        long start = index << chunkShift;
        return (int) Math.min(chunkSize(), plaintextSize - start);
    }

    /** Where chunk {@code index} sits in the container, for a source that fetches it by range. */
    public ChunkLocation locate(long index) {
        return new ChunkLocation(index, chunkOffset(index), chunkLength(index));
    }

    /** The index of the chunk holding plaintext offset {@code position}. */
    public long chunkIndexAt(long position) {
        return position >>> chunkShift;
    }

    /** Total size of a complete container with this header. */
    public long containerSize() {
        return SIZE + plaintextSize + chunkCount() * cipher.overhead();
    }

    private void checkIndex(long index) {
        if (index < 0 || index >= chunkCount()) {
            throw new IndexOutOfBoundsException("chunk " + index + " is outside 0.." + (chunkCount() - 1));
        }
    }

    static byte[] sha256(byte[] bytes, int length) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(bytes, 0, length);
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java runtime has no SHA-256", e);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ImageHeader header && Arrays.equals(encoded, header.encoded);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encoded);
    }

    @Override
    public String toString() {
        return "ImageHeader[version=" + VERSION + ", cipher=" + cipher.displayName() + ", chunkSize=" + chunkSize()
                + ", plaintextSize=" + plaintextSize + ", chunks=" + chunkCount()
                + (cipher.encrypted() ? ", keyId=" + keyIdHex() : "") + "]";
    }
}
