package dev.tether.imgutil.util;

import dev.tether.image.format.ContentDigest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;

/** Passes writes through to a channel while computing their sha256 and size, so a file is hashed as it is written. */
public final class DigestingChannel implements WritableByteChannel {
    private final WritableByteChannel target;
    private final MessageDigest sha256 = ContentDigest.newSha256();
    private long size;

    public DigestingChannel(WritableByteChannel target) {
        this.target = target;
    }

    @Override
    public int write(ByteBuffer source) throws IOException {
        ByteBuffer view = source.duplicate();
        int written = target.write(source);
        view.limit(view.position() + written);
        sha256.update(view);
        size += written;
        return written;
    }

    /** {@code sha256:<hex>} of everything written; call once, at the end. */
    public String digest() {
        return ContentDigest.format(sha256);
    }

    public long size() {
        return size;
    }

    @Override
    public boolean isOpen() {
        return target.isOpen();
    }

    @Override
    public void close() throws IOException {
        target.close();
    }
}
