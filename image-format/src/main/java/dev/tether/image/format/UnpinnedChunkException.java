package dev.tether.image.format;

import java.util.HexFormat;

/**
 * A chunk of an unencrypted container that is well formed (its own hash matches its body) but is not the chunk the
 * manifest pins. No disk or wire does that by accident: whoever served it computed the hash for a body of their own.
 */
public final class UnpinnedChunkException extends ImageFormatException {
    private static final long serialVersionUID = 1L;

    private final long chunkIndex;

    UnpinnedChunkException(long chunkIndex, byte[] hash, ChunkHashes pinned) {
        super("chunk " + chunkIndex + " is not the one the manifest pins (its SHA-256 "
                + HexFormat.of().formatHex(hash, 0, 6) + "... where the manifest pins " + pinned.shortForm(chunkIndex)
                + "), though it carries a matching hash of its own");
        this.chunkIndex = chunkIndex;
    }

    public long chunkIndex() {
        return chunkIndex;
    }
}
