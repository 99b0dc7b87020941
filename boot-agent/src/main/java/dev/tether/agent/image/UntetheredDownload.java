package dev.tether.agent.image;

import dev.tether.agent.Libc;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.ImageHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Downloads a whole root image into a file (in a tmpfs, for an untethered root): chunk requests run in
 * parallel, spread over all edges by the fetcher, each chunk verified and decrypted as it arrives and
 * written at its place, so the file is the plain squashfs and costs its compressed size in memory. A chunk
 * that fails or fails verification is fetched again from another edge.
 *
 * <p>What binds the chunks to the image depends on what named it. With a manifest ({@link #pinned}), the header was
 * held to the manifest's pin before the download, and each chunk is bound to that header as it arrives: an encrypted
 * chunk by its AEAD tag over the header digest and its index (an edge has no key to make one), an unencrypted one by
 * the hash the manifest pins for it. The file is then the image once every chunk is in, and a chunk of any other
 * container is refused as it arrives and read from another edge. Without a manifest ({@link #unpinned},
 * {@code tether.rootimage=}, only without a node API) the header is the edges' word: an edge could serve another
 * container sealed with the same key (an older build), or an unencrypted one with hashes of its own, and each chunk
 * would pass. So the container's bytes are hashed on the way too, and the download counts only when that digest is
 * the one the image was named by. That hash is a second pass over every byte, in one thread and in order, which a
 * pinned download has no use for: on a CPU without SHA instructions it bounds the download. On the VM suite's
 * emulated CPU (no SHA instructions; qemu-x86_64 with the agent's options) it took about 3.5 s of CPU for the sample
 * image's 200 MiB, against 10 to 14 s for its decryption.
 */
public final class UntetheredDownload {
    private static final Duration PROGRESS_INTERVAL = Duration.ofMillis(500);
    /** Bytes asked for in one request: several chunks, so each edge streams long runs of its file. */
    static final int REQUEST_BYTES = 4 << 20;
    private static final int LOWEST_PRIORITY = 19;

    private final ChunkFetcher fetcher;
    private final ChunkOpener opener;
    private final ImageHeader header;
    private final int parallelism;
    private final int chunksPerRequest;
    /** The digest the whole container must have, and its running hash; both null for a pinned download. */
    private final String containerDigest;
    private final ContainerDigest digest;
    private final AtomicLong nextChunk = new AtomicLong();
    private final AtomicLong bytesDone = new AtomicLong();
    private final AtomicReference<IOException> failure = new AtomicReference<>();
    private volatile boolean lowestPriority;

    /**
     * A download whose header the manifest pinned ({@link RemoteHeader#fetch} held it to the pin), and whose
     * {@code opener} holds every chunk to that header, and an unencrypted image's chunks to the pinned hashes.
     */
    public static UntetheredDownload pinned(ChunkFetcher fetcher, ChunkOpener opener, int parallelism) {
        return new UntetheredDownload(fetcher, opener, parallelism, null);
    }

    /**
     * A download of a container named by its digest alone, held to that digest as a whole.
     *
     * @param containerDigest {@code sha256:<hex>} the whole container must have, header and sealed chunks
     */
    public static UntetheredDownload unpinned(ChunkFetcher fetcher, ChunkOpener opener, int parallelism,
                                              String containerDigest) {
        return new UntetheredDownload(fetcher, opener, parallelism, containerDigest);
    }

    private UntetheredDownload(ChunkFetcher fetcher, ChunkOpener opener, int parallelism, String containerDigest) {
        this.fetcher = fetcher;
        this.opener = opener;
        this.header = opener.header();
        this.parallelism = parallelism;
        this.chunksPerRequest = Math.max(1, REQUEST_BYTES / header.chunkSize());
        this.containerDigest = containerDigest;
        // One request's worth per worker may wait for a slow one before it; beyond that the workers wait too.
        this.digest = containerDigest == null ? null
                : new ContainerDigest((long) parallelism * chunksPerRequest * header.sealedChunkSize());
    }

    /**
     * Parallel requests for a set of edges: two per edge, 4 to 8. Each asks for several chunks at once, so
     * a few per edge keep it streaming; more only make its disk seek between more places.
     */
    public static int parallelismFor(int edges) {
        return Math.clamp(edges * 2L, 4, 8);
    }

    /**
     * As {@link #parallelismFor(int)}, but no more than the heap holds: each request needs its range and its
     * plaintext on the heap, and a hedge a second range (about 16 MiB in all, counted with room to spare). The
     * launcher gives an untethered boot a heap for eight; a smaller one downloads slower instead of failing.
     */
    public static int parallelismFor(int edges, long maxHeapBytes) {
        long perRequest = 4L * REQUEST_BYTES;
        long fits = (maxHeapBytes - perRequest) / perRequest;
        return (int) Math.clamp(fits, 1, parallelismFor(edges));
    }

    /**
     * Has the download's threads run at the lowest CPU priority (nice 19): a download behind a running node, which
     * takes the CPU only where the node's own work leaves it.
     */
    public UntetheredDownload atLowestPriority() {
        this.lowestPriority = true;
        return this;
    }

    /**
     * Writes the plaintext to {@code target} (created or truncated), reporting progress along the way.
     *
     * @throws ForeignImageException when an unpinned download's bytes are not the container (the file is then
     *     garbage)
     */
    public void downloadTo(Path target, Consumer<DownloadProgress> progress) throws IOException {
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            downloadInto(out, progress);
        }
    }

    /** As {@link #downloadTo}, into a file opened for writing earlier, which stays open. */
    public void downloadInto(FileChannel out, Consumer<DownloadProgress> progress) throws IOException {
        long started = System.nanoTime();
        addToDigest(0, ByteBuffer.wrap(header.encoded()));
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < parallelism; i++) {
            workers.add(Thread.ofPlatform().daemon().name("untethered-download-" + i).start(() -> {
                if (lowestPriority) {
                    // Best effort: where the call fails the copy only competes with the node as any thread does.
                    Libc libc = Libc.get();
                    libc.setpriority(Libc.PRIO_PROCESS, libc.gettid(), LOWEST_PRIORITY);
                }
                work(out);
            }));
        }
        try {
            for (Thread worker : workers) {
                while (!worker.join(PROGRESS_INTERVAL)) {
                    progress.accept(progress(started));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, new IOException("interrupted while downloading the root image"));
            abandonDigest();
            fetcher.close();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        if (bytesDone.get() != header.plaintextSize()) {
            throw new IOException("the download of the root image ended with " + bytesDone.get() + " of its "
                    + header.plaintextSize() + " bytes written");
        }
        checkDigest();
        out.force(false);
        progress.accept(progress(started));
    }

    private void checkDigest() throws ForeignImageException {
        if (digest == null) {
            return;
        }
        String got = digest.hashedBytes() == header.containerSize() ? digest.digest() : "(incomplete)";
        if (!got.equals(containerDigest)) {
            throw new ForeignImageException("the root image downloaded from " + fetcher.edges().edges() + " is not "
                    + ContentDigest.shortForm(containerDigest) + " (its digest is "
                    + (got.startsWith(ContentDigest.PREFIX) ? ContentDigest.shortForm(got) : got)
                    + "): an edge served chunks of another image that its header's checks could not tell apart,"
                    + " so the download is discarded; check those edges, delete their cached copy of the blob, and"
                    + " boot again");
        }
    }

    private void addToDigest(long offset, ByteBuffer sealed) throws IOException {
        if (digest == null) {
            return;
        }
        try {
            digest.add(offset, sealed);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while downloading the root image", e);
        }
    }

    private void abandonDigest() {
        if (digest != null) {
            digest.abandon();
        }
    }

    /**
     * Takes runs of consecutive chunks and fetches each run as one range; the run's chunks are verified
     * and decrypted into one buffer (a damaged one has the whole range fetched again elsewhere), which
     * is then written with one call.
     */
    private void work(FileChannel out) {
        ByteBuffer plain = ByteBuffer.allocate(header.chunkSize() * chunksPerRequest);
        // The verified sealed bytes, kept past the fetcher's buffer for the container digest.
        ByteBuffer sealedCopy = digest == null ? null : ByteBuffer.allocate(header.sealedChunkSize() * chunksPerRequest);
        long first;
        while (failure.get() == null && (first = nextChunk.getAndAdd(chunksPerRequest)) < header.chunkCount()) {
            long start = first;
            long end = Math.min(header.chunkCount(), first + chunksPerRequest);
            var firstLocation = header.locate(start);
            var lastLocation = header.locate(end - 1);
            int rangeLength = Math.toIntExact(lastLocation.offset() + lastLocation.length() - firstLocation.offset());
            String what = end - start == 1 ? "chunk " + start : "chunks " + start + "-" + (end - 1);
            try {
                ByteBuffer data = fetcher.fetch(firstLocation.offset(), rangeLength, start, what, body -> {
                    ByteBuffer sealed = body.bytes();
                    plain.clear();
                    for (long chunk = start; chunk < end; chunk++) {
                        var location = header.locate(chunk);
                        int at = Math.toIntExact(location.offset() - firstLocation.offset());
                        ByteBuffer into = plain.slice(plain.position(), header.plaintextLength(chunk));
                        opener.openInto(chunk, sealed.slice(at, location.length()), into);
                        plain.position(plain.position() + into.remaining());
                    }
                    if (sealedCopy != null) {
                        sealedCopy.clear().put(sealed.duplicate().limit(rangeLength)).flip();
                    }
                    return plain.flip();
                });
                long position = start * header.chunkSize();
                int length = data.remaining();
                while (data.hasRemaining()) {
                    position += out.write(data, position);
                }
                bytesDone.addAndGet(length);
                addToDigest(firstLocation.offset(), sealedCopy);
            } catch (IOException e) {
                abandonDigest();
                failure.compareAndSet(null, e.getMessage() != null && e.getMessage().contains("No space left")
                        ? new IOException("the RAM disk is full: the root image needs " + header.plaintextSize()
                        + " bytes; give the node more memory or use the tethered method", e)
                        : e);
            }
        }
    }

    private DownloadProgress progress(long startedNanos) {
        long done = bytesDone.get();
        long total = header.plaintextSize();
        double seconds = Math.max(1e-9, (System.nanoTime() - startedNanos) / 1e9);
        double rate = done / seconds;
        Duration eta = done >= total ? Duration.ZERO
                : rate > 0 ? Duration.ofMillis((long) ((total - done) / rate * 1000)) : null;
        return new DownloadProgress(done, total, rate, eta);
    }
}
