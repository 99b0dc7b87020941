package dev.tether.agent.image;

import dev.tether.agent.fuse.ReadOnlyFile;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.RootImagePin;
import dev.tether.nodeapi.BootReport;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Random access to the plaintext of a root image that lives on the edges: each read takes its chunks from
 * the cache, or has them fetched (from all edges, hedged, verified, retried) and decrypted once; sequential
 * reading fetches ahead in parallel. A read never fails while the reader is open; it waits instead, unless every
 * edge serves another image's chunk (a {@link ForeignImageException}, an I/O error to the reader).
 */
public final class RemoteRootImage implements ReadOnlyFile, Closeable {
    /** Most reads at once: the FUSE mount serves on up to ten threads (FuseMount.MAX_THREADS). */
    static final int FUSE_THREADS = 10;
    /**
     * The chunks of one read that are missing are fetched with range requests of several chunks each, verified chunk
     * by chunk, up to this many bytes of chunks a request: a third of the largest read the kernel sends a FUSE file
     * (1 MiB), which three edges share. It sizes the buffers the sealed bytes are read into.
     */
    static final int RUN_BYTES = 512 << 10;
    /**
     * The least a read's missing chunks are split into per edge. Chunks of 16 KiB keep what a small read fetches small,
     * but split one per edge a read of 48 KiB became three requests of one chunk each: each a round trip, a parse and
     * a hedge timer on the node and on the edge, for link time that a boot, whose reads are mostly small and whose
     * edges' links are full in a storm, does not get back. Boot storm, N=250 on this machine's two cores (2026-12-04,
     * each exchange on a virtual thread of its own): with 16 KiB chunks split one per edge 625 requests and 306 ms of
     * CPU per node, p99 1.79x the bandwidth bound; no finer than 32 KiB 536, 247 ms, 1.54x; no finer than 64 KiB 371,
     * 217 ms, 1.42x. Since a range's first attempt runs on the reading thread ({@link ChunkFetcher}) and the runs of
     * one read are of equal length, a request costs less (2026-12-05, one storm each): no finer than 64 KiB 351
     * requests, 186 ms, 1.31x; no finer than 32 KiB 492, 212 ms, 1.36x, within the storm's 1.5x. And a random read
     * of one uncompressed squashfs block (nine chunks) goes to three edges at 32 KiB where it went to two at 64: the
     * data-plane bench's random 4K reads 1655 IOPS against 1020 (2.56x and 1.58x urlmount3's design, 648 and 646;
     * sequential 2.21x and 2.13x; the bench's default image, one run each).
     */
    static final int MIN_SPLIT_BYTES = 32 << 10;
    /**
     * Chunks a stream must have read for each one fetched ahead of it: a reader that stops leaves at most 5% of what
     * it read fetched and unread. The kernel reads the FUSE file ahead itself (FuseMount raises its window), so the
     * reads keep several edges busy before this read-ahead starts.
     */
    static final int READ_PER_AHEAD = 20;
    /**
     * How far behind the furthest read of a stream one of its reads may start and still continue it. Through the
     * loop device the kernel has up to four reads of a stream under way at once, of up to 512 KiB each (the
     * data-plane bench's trace), and they arrive out of order; each one taken for a new stream took a place of
     * {@link ReadAhead}'s few, and pushed out the stream being read ahead often enough that its window had to grow
     * again from nothing (the bench's sequential reads: 340 to 450 new streams for 8197 reads before, 17 to 50 now).
     */
    static final int STREAM_BEHIND_BYTES = 2 << 20;
    /**
     * Platform threads for the runs of a read beyond the one its own thread fetches: two for each FUSE thread (a read
     * split over three edges has two more runs). Idle ones end after 30 s; a quiet node keeps none.
     */
    static final int READ_RUN_THREADS = 2 * FUSE_THREADS;
    /** Sealed run buffers kept for reuse; the rest of a burst's are freed when given back. */
    static final int SPARE_SEALED_RUNS = 4;

    private final ChunkFetcher fetcher;
    private final ChunkOpener opener;
    private final ImageHeader header;
    private final ChunkCache cache;
    private final ChunkBuffers sealedChunks;
    private final ReadAhead readAhead;
    private final ExecutorService prefetchers;
    private final ThreadPoolExecutor readRuns;
    private final Semaphore prefetchSlots;
    private final ConsoleSink console;
    private final int maxRun;
    private final int minSplit;
    /** Bytes fetched for the header before any chunk: needed, so counted as useful. */
    private final long headerBytes;
    /** Chunks some reader has read, each counted once as useful (however often it is fetched). */
    private final BitSet read = new BitSet();
    private final LongAdder usefulChunkBytes = new LongAdder();
    private volatile long lastReadNanos = System.nanoTime();

    private RemoteRootImage(ChunkFetcher fetcher, ChunkOpener opener, TetheredSettings settings) {
        this.fetcher = fetcher;
        this.opener = opener;
        this.header = opener.header();
        this.console = settings.fetch().console();
        this.headerBytes = fetcher.stats().usefulBytes();
        // Read-ahead must not push out what it fetched before it is read: at most half the cache ahead.
        int window = (int) (Math.min(settings.readAheadBytes(), settings.cacheBytes() / 2) / header.chunkSize());
        this.maxRun = Math.max(1, RUN_BYTES / header.chunkSize());
        this.minSplit = Math.max(1, MIN_SPLIT_BYTES / header.chunkSize());
        // The read-ahead fetches runs of consecutive chunks, one request each; a slot per request bounds the sealed
        // buffers it holds (each a run's worth).
        int requestsAhead = Math.max(1, Math.ceilDiv(window, maxRun));
        // A few spare buffers, so that a sequential reader recycles the buffers of evicted chunks instead of
        // allocating new ones, and the sealed bytes (only needed while a run is verified and decrypted) theirs.
        // Not one per load that can be in flight: after a burst those would all wait here, idle, for the node's
        // whole life (measured: 11 MiB of 21 MiB of direct memory after reading an image); the ones beyond are freed.
        this.cache = new ChunkCache(new Loader(), new ChunkBuffers(header.chunkSize(), FUSE_THREADS),
                settings.cacheBytes());
        this.sealedChunks = new ChunkBuffers(header.sealedChunkSize() * maxRun, SPARE_SEALED_RUNS);
        this.prefetchSlots = new Semaphore(requestsAhead);
        this.prefetchers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("chunk-prefetch-", 0).factory());
        this.readRuns = new ThreadPoolExecutor(0, READ_RUN_THREADS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                Thread.ofPlatform().daemon().name("chunk-read-", 0).factory());
        this.readAhead = new ReadAhead(window, READ_PER_AHEAD, Math.max(1, STREAM_BEHIND_BYTES / header.chunkSize()),
                header.chunkCount(), this::prefetch);
    }

    /**
     * Reads the header from the edges (waiting for one if none answers), holds it to what the manifest pins, and
     * checks the key against it. Each chunk of an unencrypted image is then held to the hash the manifest pins.
     *
     * @param key the image key, or null for an unencrypted image
     * @throws ForeignImageException when no edge serves the header the manifest pins
     * @throws dev.tether.image.format.KeyMismatchException when the key is not this image's
     */
    public static RemoteRootImage open(List<URI> edges, RootImagePin pin, ImageKey key, TetheredSettings settings)
            throws IOException {
        return open(edges, pin.containerDigest(), pin, key, settings);
    }

    /**
     * {@link #open(List, RootImagePin, ImageKey, TetheredSettings)} for a container named without a manifest, so
     * with nothing to hold its header to but the key: only for a boot without a node API.
     */
    public static RemoteRootImage open(List<URI> edges, String rootImageDigest, ImageKey key, TetheredSettings settings)
            throws IOException {
        return open(edges, rootImageDigest, null, key, settings);
    }

    private static RemoteRootImage open(List<URI> edges, String rootImageDigest, RootImagePin pin, ImageKey key,
            TetheredSettings settings) throws IOException {
        EdgeSet edgeSet = new EdgeSet(edges, settings.fetch().backoff());
        ChunkFetcher fetcher = new ChunkFetcher(edgeSet, rootImageDigest, settings.fetch());
        try {
            ChunkOpener opener = ChunkOpener.forEdges(fetcher, pin, key);
            return new RemoteRootImage(fetcher, opener, settings);
        } catch (IOException | RuntimeException e) {
            fetcher.close();
            throw e;
        }
    }

    public ImageHeader header() {
        return header;
    }

    /** How long ago the last read came ({@link System#nanoTime()} units); since the image was opened if none did. */
    long nanosSinceLastRead() {
        return System.nanoTime() - lastReadNanos;
    }

    /** Opens the chunks of this image as its reads do: bound to its header (and the manifest's pins). */
    ChunkOpener opener() {
        return opener;
    }

    public ChunkFetcher fetcher() {
        return fetcher;
    }

    public ChunkCache cache() {
        return cache;
    }

    @Override
    public long size() {
        return header.plaintextSize();
    }

    @Override
    public int read(long position, ByteBuffer dst) throws IOException {
        long size = header.plaintextSize();
        if (position < 0) {
            throw new IllegalArgumentException("negative position " + position);
        }
        if (position >= size) {
            return -1;
        }
        lastReadNanos = System.nanoTime();
        long end = Math.min(size, position + dst.remaining());
        long first = header.chunkIndexAt(position);
        long last = header.chunkIndexAt(end - 1);
        readAhead.onRead(first, last);
        countFirstReads(first, last);
        if (last > first) {
            // The chunks one read needs, in as few requests as keep every edge busy: one per edge, each for a
            // run of consecutive chunks, so a read is as fast as the edges' links together allow; as many runs as
            // fit MIN_SPLIT_BYTES each, of equal length, so a small read is one request and a read of five chunks
            // two of three and two, not two of two and a third of one (a request's cost is mostly per request).
            // The first run is fetched on this thread, which would only wait for it otherwise.
            long chunks = last - first + 1;
            long runs = Math.clamp(chunks / minSplit, 1, fetcher.edges().edges().size());
            int run = (int) Math.min(maxRun, Math.ceilDiv(chunks, runs));
            Runnable[] firstRun = new Runnable[1];
            cache.prefetch(first, last, run, task -> {
                if (firstRun[0] == null) {
                    firstRun[0] = task;
                } else {
                    startReadRun(task);
                }
            });
            if (firstRun[0] != null) {
                firstRun[0].run();
            }
        }
        int copied = 0;
        while (position < end) {
            long index = header.chunkIndexAt(position);
            int within = (int) (position - index * header.chunkSize());
            int take;
            try (ChunkCache.Chunk chunk = cache.get(index)) {
                ByteBuffer bytes = chunk.bytes();
                take = (int) Math.min(end - position, bytes.limit() - within);
                dst.put(bytes.slice(within, take));
            }
            position += take;
            copied += take;
        }
        return copied;
    }

    /**
     * What the fetcher did, with the useful bytes counted as a reader needs them: the header and each chunk the
     * first time it is read. The rest is waste: hedge losers, damaged answers, read-ahead nobody read (yet),
     * chunks fetched again after the cache evicted them.
     */
    public BootReport.Fetch stats() {
        return fetcher.stats().withUsefulBytes(headerBytes + usefulChunkBytes.sum());
    }

    private void countFirstReads(long first, long last) {
        synchronized (read) {
            for (long index = first; index <= last; index++) {
                if (!read.get((int) index)) {
                    read.set((int) index);
                    usefulChunkBytes.add(header.locate(index).length());
                }
            }
        }
    }

    /** Fetches chunks from the edges, one or a run with one request, and verifies and decrypts each on its own. */
    private final class Loader implements ChunkCache.Loader {
        @Override
        public void load(long index, ByteBuffer into) throws IOException {
            loadRun(index, List.of(into));
        }

        @Override
        public void loadRun(long first, List<ByteBuffer> into) throws IOException {
            long last = first + into.size() - 1;
            long offset = header.locate(first).offset();
            var end = header.locate(last);
            int length = (int) (end.offset() + end.length() - offset);
            String what = first == last ? "chunk " + first : "chunks " + first + " to " + last;
            try {
                fetcher.fetch(offset, length, first, what, sealedChunks, body -> {
                    for (int i = 0; i < into.size(); i++) {
                        var location = header.locate(first + i);
                        ByteBuffer sealed = body.bytes().slice((int) (location.offset() - offset), location.length());
                        opener.openInto(first + i, sealed, into.get(i));
                    }
                    return Boolean.TRUE;
                });
            } catch (ForeignImageException e) {
                // The kernel sees only an I/O error; the console says which edges and what to do.
                console.message(e.getMessage());
                throw e;
            }
        }
    }

    /**
     * Starts fetching chunks {@code first} to {@code last} ahead, each run of consecutive missing chunks (up to
     * {@link #RUN_BYTES}) with one request, while a prefetch slot is free (one per request).
     *
     * <p>Chunks a reader has read before are passed over: the kernel keeps what it read in its page cache (the
     * squashfs's files), so a reader that comes up to them goes on past them, and one that does need one again asks
     * for it. Fetched ahead, they would come a second time for nobody: reading all of {@code /usr} after a boot
     * fetched 107.1% of the sample image this way, 104.9% without (the boot's chunks long evicted by then).
     *
     * @return the last chunk covered (cached, on its way or started), {@code first - 1} when none
     */
    private long prefetch(long first, long last) {
        long index = first;
        while (index <= last) {
            int unread = unreadRun(index, (int) Math.min(maxRun, last - index + 1));
            if (unread == 0 || cache.present(index)) {
                index++;
                continue;
            }
            if (!prefetchSlots.tryAcquire()) {
                return index - 1;
            }
            int started = 0;
            try {
                started = cache.prefetchRun(index, unread,
                        task -> prefetchers.execute(() -> {
                            try {
                                task.run();
                            } finally {
                                prefetchSlots.release();
                            }
                        }));
            } finally {
                if (started == 0) {
                    prefetchSlots.release();
                }
            }
            // Zero: another reader claimed it meanwhile, so it is on its way.
            index += Math.max(1, started);
        }
        return last;
    }

    /** How many chunks from {@code first} on, up to {@code max}, no reader has read yet. */
    private int unreadRun(long first, int max) {
        synchronized (read) {
            int next = read.nextSetBit((int) first);
            return next < 0 ? max : (int) Math.min(max, next - first);
        }
    }

    /**
     * Starts one of a read's other runs on a platform thread, which the reader waits for. On a virtual thread, each
     * time its socket had no bytes yet the exchange went through the JDK's poller and back onto a carrier thread:
     * 130 to 190 us more for a 64 KiB range than the same exchange on a thread of its own (see
     * {@link ChunkFetcher}), and a read waits for the slowest of its runs. The data-plane bench's random 128 KiB reads
     * through this reader alone (three edges, 1 Gbit each; three runs each way, 2026-12-06): mean 618-639 us, p50
     * 457-569, p90 682-706 on virtual threads; 541-605, 406-497, 632-640 on these. More at once than
     * {@link #READ_RUN_THREADS} (a burst on every FUSE thread) go to virtual threads, as the read-ahead does.
     */
    private void startReadRun(Runnable task) {
        try {
            readRuns.execute(task);
        } catch (RejectedExecutionException e) {
            prefetchers.execute(task);
        }
    }

    @Override
    public void close() {
        fetcher.close();
        prefetchers.shutdownNow();
        readRuns.shutdownNow();
    }
}
