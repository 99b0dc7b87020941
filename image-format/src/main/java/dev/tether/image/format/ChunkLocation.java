package dev.tether.image.format;

/** Where one sealed chunk lies in the container: exactly the bytes of one HTTP range request. */
public record ChunkLocation(long index, long offset, int length) {
    /** The inclusive end offset, as an HTTP {@code Range: bytes=offset-end} header wants it. */
    public long lastByte() {
        return offset + length - 1;
    }
}
