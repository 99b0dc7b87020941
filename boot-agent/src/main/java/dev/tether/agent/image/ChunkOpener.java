package dev.tether.agent.image;

import dev.tether.image.format.ChunkIntegrityException;
import dev.tether.image.format.ChunkSealer;
import dev.tether.image.format.GcmWarmUp;
import dev.tether.image.format.ImageFormatException;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.ImageKey;
import java.nio.ByteBuffer;

/**
 * Verifies and decrypts sealed chunks of one container, from any thread (a {@link ChunkSealer} is not
 * thread-safe, so each thread gets its own).
 */
public final class ChunkOpener {
    private final ImageHeader header;
    private final ThreadLocal<ChunkSealer> sealers;

    /** @throws ImageFormatException when the image is encrypted and the key is missing or is not its key */
    public ChunkOpener(ImageHeader header, ImageKey key) throws ImageFormatException {
        this.header = header;
        new ChunkSealer(header, key);
        this.sealers = ThreadLocal.withInitial(() -> {
            try {
                return new ChunkSealer(header, key);
            } catch (ImageFormatException e) {
                throw new IllegalStateException("the key was checked when the opener was made", e);
            }
        });
    }

    public ImageHeader header() {
        return header;
    }

    /** Warms up AES-GCM in the background, so the first chunks do not run through the interpreter. */
    public void warmUpInBackground() {
        if (header.cipher().encrypted()) {
            Thread.ofPlatform().daemon().name("gcm-warm-up").start(GcmWarmUp::ensure);
        }
    }

    /** Writes the plaintext of chunk {@code index} into {@code out} (cleared first), flipped for reading. */
    public ByteBuffer openInto(long index, ByteBuffer sealed, ByteBuffer out) throws ChunkIntegrityException {
        out.clear();
        sealers.get().open(index, sealed, out);
        return out.flip();
    }
}
