package dev.tether.image.format;

/**
 * One chunk failed its integrity check: its tag or hash does not match, or the source returned fewer
 * bytes than the header promises. The data of that chunk must not be used.
 */
public final class ChunkIntegrityException extends ImageFormatException {
    private static final long serialVersionUID = 1L;

    private final long chunkIndex;

    public ChunkIntegrityException(long chunkIndex, String reason) {
        super("chunk " + chunkIndex + " of the root image failed its integrity check (" + reason
                + "): the image was modified or corrupted");
        this.chunkIndex = chunkIndex;
    }

    public long chunkIndex() {
        return chunkIndex;
    }
}
