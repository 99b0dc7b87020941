package dev.tether.agent.image;

import dev.tether.image.format.ContentDigest;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.TreeMap;

/**
 * The sha256 of a container that arrives in pieces out of order (parallel range requests): pieces are hashed
 * as soon as everything before them has been, later ones wait in a copy. A piece that is too far ahead waits
 * for the ones before it instead, so the copies stay within a bound; the piece that is next is always taken,
 * so the download keeps moving.
 */
final class ContainerDigest {
    private final MessageDigest sha256 = ContentDigest.newSha256();
    private final TreeMap<Long, byte[]> ahead = new TreeMap<>();
    private final long maxAheadBytes;
    private long next;
    private long aheadBytes;
    private boolean abandoned;

    ContainerDigest(long maxAheadBytes) {
        this.maxAheadBytes = maxAheadBytes;
    }

    /** Adds the bytes at {@code offset}; each offset exactly once. Returns false once {@link #abandon()} was called. */
    synchronized boolean add(long offset, ByteBuffer bytes) throws InterruptedException {
        while (offset != next && aheadBytes + bytes.remaining() > maxAheadBytes && !abandoned) {
            wait();
        }
        if (abandoned) {
            return false;
        }
        if (offset != next) {
            byte[] copy = new byte[bytes.remaining()];
            bytes.get(copy);
            ahead.put(offset, copy);
            aheadBytes += copy.length;
            return true;
        }
        next += bytes.remaining();
        sha256.update(bytes);
        for (byte[] waiting; (waiting = ahead.remove(next)) != null; ) {
            sha256.update(waiting);
            aheadBytes -= waiting.length;
            next += waiting.length;
        }
        notifyAll();
        return true;
    }

    /** Lets every waiting {@link #add} return: the download failed and the digest will not be asked for. */
    synchronized void abandon() {
        abandoned = true;
        notifyAll();
    }

    /** How many bytes from the start have been hashed. */
    synchronized long hashedBytes() {
        return next;
    }

    /** {@code sha256:<hex>} of everything added; call once, after the last piece. */
    synchronized String digest() {
        if (!ahead.isEmpty()) {
            throw new IllegalStateException("bytes from " + next + " are missing");
        }
        return ContentDigest.format(sha256);
    }
}
