package dev.tether.agent.image;

import dev.tether.image.format.ChunkHashes;
import dev.tether.image.format.ChunkIntegrityException;
import dev.tether.image.format.ChunkSealer;
import dev.tether.image.format.GcmWarmUp;
import dev.tether.image.format.ImageFormatException;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.RootImagePin;
import dev.tether.image.format.UnpinnedChunkException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Verifies and decrypts sealed chunks of one container, from any thread. A {@link ChunkSealer} is not thread-safe, so
 * each open takes one of its own from a pool and gives it back: as many are made as chunks were ever opened at once.
 * Not one a thread: the chunks fetched ahead are opened on virtual threads, one a fetch, and a thread's own sealer
 * would be a new cipher, digest and key schedule for every fetch. The chunks of an unencrypted image are held to the
 * hashes the manifest pins, since an edge can compute a chunk's own hash for a body of its choosing.
 */
public final class ChunkOpener {
    /** Chunks of this size or larger are few per MiB: the JIT would see their decryption late (see GcmWarmUp). */
    static final int LARGE_CHUNK_BYTES = 256 << 10;

    private final ImageHeader header;
    private final ImageKey key;
    private final ChunkHashes pinned;
    private final ConcurrentLinkedQueue<ChunkSealer> idleSealers = new ConcurrentLinkedQueue<>();

    /** @throws ImageFormatException when the image is encrypted and the key is missing or is not its key */
    public ChunkOpener(ImageHeader header, ImageKey key) throws ImageFormatException {
        this(header, key, null);
    }

    /**
     * @param pin what the manifest pins, which {@code header} was held to; null when the image was named without a
     *     manifest ({@code tether.rootimage=}, only without a node API), so each chunk has only its own hash or tag
     * @throws ImageFormatException when the image is encrypted and the key is missing or is not its key
     */
    public ChunkOpener(ImageHeader header, ImageKey key, RootImagePin pin) throws ImageFormatException {
        this.header = header;
        this.key = key;
        this.pinned = pin == null ? null : pin.chunkHashes();
        idleSealers.add(new ChunkSealer(header, key, pinned));
    }

    /**
     * The opener of the image the edges serve, tethered or untethered alike: its header fetched and held to {@code pin}
     * ({@link RemoteHeader#fetch}), and AES-GCM warmed up where its chunks are large ({@link #warmUpForLargeChunks}).
     *
     * @param pin what the manifest pins, or null when the image was named without a manifest
     * @param key the image key, or null for an unencrypted image
     */
    public static ChunkOpener forEdges(ChunkFetcher fetcher, RootImagePin pin, ImageKey key) throws IOException {
        ChunkOpener opener = new ChunkOpener(RemoteHeader.fetch(fetcher, pin, key), key, pin);
        opener.warmUpForLargeChunks();
        return opener;
    }

    public ImageHeader header() {
        return header;
    }

    /**
     * Warms up AES-GCM in the background where the chunks are large, tethered or untethered, so that they do not run
     * through slow code for hundreds of MiB: the JIT counts calls, and large chunks are few a MiB. Small chunks are many
     * decrypts a MiB, and the JIT compiles their path by itself; the launcher has it compile the JDK's AES-GCM at a
     * tenth of its thresholds (bin/tether-agent). The warm-up decrypts some 40 MiB. Measured on an emulated CPU
     * (qemu-x86_64, the agent's runtime and options, 16 KiB chunks), where a machine has one core (the VM suite's) and
     * the warm-up's CPU is taken from the boot:
     * <ul>
     *   <li>a tethered boot's reads by its ssh login (1200 chunks, 19 MiB), before the launcher's compile command: the
     *       warm-up took 3.5 s and the chunks 1.3 s after it, against 2.4 s without it;</li>
     *   <li>the untethered download of the sample image (200 MiB), with the compile command: 13.3 s of CPU with the
     *       warm-up, 12.0 s without; before the command 15.5 and 15.2 s.</li>
     * </ul>
     *
     * @return whether it warms up: only for large chunks of an encrypted image
     */
    boolean warmUpForLargeChunks() {
        if (header.chunkSize() < LARGE_CHUNK_BYTES || !header.cipher().encrypted()) {
            return false;
        }
        Thread.ofPlatform().daemon().name("gcm-warm-up").start(GcmWarmUp::ensure);
        return true;
    }

    /**
     * Writes the plaintext of chunk {@code index} into {@code out} (cleared first), flipped for reading.
     *
     * @throws ChunkIntegrityException when the chunk is damaged
     * @throws ForeignImageException when it is well formed but not the chunk the manifest pins: made to pass, so the
     *     edge that served it is not asked for it again, and when every edge serves such a chunk the read fails
     */
    public ByteBuffer openInto(long index, ByteBuffer sealed, ByteBuffer out)
            throws ChunkIntegrityException, ForeignImageException {
        out.clear();
        ChunkSealer sealer = takeSealer();
        try {
            sealer.open(index, sealed, out);
        } catch (UnpinnedChunkException e) {
            throw new ForeignImageException(e.getMessage());
        } finally {
            idleSealers.add(sealer);
        }
        return out.flip();
    }

    private ChunkSealer takeSealer() {
        ChunkSealer idle = idleSealers.poll();
        if (idle != null) {
            return idle;
        }
        try {
            return new ChunkSealer(header, key, pinned);
        } catch (ImageFormatException e) {
            throw new IllegalStateException("the key was checked when the opener was made", e);
        }
    }
}
