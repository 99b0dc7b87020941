package dev.tether.image.format;

import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The SHA-256 that each chunk of an unencrypted ({@code NONE+SHA-256}) container carries (see {@link ChunkSealer}), in
 * chunk order, as the manifest pins them: {@code encryption.chunkHashes}, base64 of the concatenated 32-byte hashes,
 * counted by {@code encryption.chunkCount}. A chunk's own hash proves nothing against an edge, which can compute it for
 * a chunk of its own; the list in the manifest, under the node API's authenticated digest, binds every chunk, as the
 * AEAD tag under a key only the node API releases does for an encrypted image. Immutable.
 */
public final class ChunkHashes {
    /** Bytes of one hash: what follows each unencrypted chunk's body. */
    public static final int HASH_LENGTH = ImageCipher.NONE_SHA256.overhead();

    /**
     * Most chunks an unencrypted image may have, so that its manifest stays well under the 1 MiB the agent accepts
     * for one: 16384 hashes are 683 KiB in base64, the rest of a manifest about 1 KiB. That is 256 MiB of squashfs at
     * the default 16 KiB chunks, 1 GiB at 64 KiB, 4 GiB at 256 KiB, 16 GiB at 1 MiB, 256 GiB at the largest, 16 MiB;
     * an encrypted image has no such limit.
     */
    public static final int MAX_CHUNKS = 16384;

    private final byte[] hashes;

    private ChunkHashes(byte[] hashes) {
        this.hashes = hashes;
    }

    /** The hashes as a writer collected them, concatenated in chunk order. */
    static ChunkHashes of(byte[] concatenated) {
        if (concatenated.length % HASH_LENGTH != 0) {
            throw new IllegalArgumentException(concatenated.length + " bytes are no whole number of chunk hashes");
        }
        return new ChunkHashes(concatenated.clone());
    }

    /**
     * The hashes a manifest pins.
     *
     * @param count the number of chunks the pinned header makes
     * @throws ImageFormatException when the text is not base64 of exactly {@code count} hashes
     */
    public static ChunkHashes decode(String base64, long count) throws ImageFormatException {
        byte[] hashes;
        try {
            hashes = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new ImageFormatException("its manifest's encryption.chunkHashes is not base64: " + e.getMessage(), e);
        }
        if (hashes.length != count * HASH_LENGTH) {
            throw new ImageFormatException("its manifest's encryption.chunkHashes holds " + hashes.length + " bytes where "
                    + count + " chunks need " + count * HASH_LENGTH);
        }
        return new ChunkHashes(hashes);
    }

    /** The most plaintext an unencrypted image can hold at {@code chunkSize} and have every chunk pinned. */
    public static long maxPlaintextSize(int chunkSize) {
        return (long) MAX_CHUNKS * chunkSize;
    }

    /** As the manifest writes it. */
    public String base64() {
        return Base64.getEncoder().encodeToString(hashes);
    }

    public long count() {
        return hashes.length / HASH_LENGTH;
    }

    /** Whether {@code hash} is the one pinned for chunk {@code index}. The hashes are public: no need for constant time. */
    public boolean matches(long index, byte[] hash) {
        int from = Math.toIntExact(index * HASH_LENGTH);
        return Arrays.equals(hash, 0, hash.length, hashes, from, from + HASH_LENGTH);
    }

    /** The first 12 hex digits of chunk {@code index}'s hash, then "...", for a console line. */
    public String shortForm(long index) {
        int from = Math.toIntExact(index * HASH_LENGTH);
        return HexFormat.of().formatHex(hashes, from, from + 6) + "...";
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ChunkHashes that && Arrays.equals(hashes, that.hashes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(hashes);
    }

    @Override
    public String toString() {
        return "ChunkHashes[" + count() + " chunks]";
    }
}
