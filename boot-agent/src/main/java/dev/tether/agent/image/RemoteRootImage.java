package dev.tether.agent.image;

import dev.tether.agent.fuse.ReadOnlyFile;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.RootImagePin;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * Random access to the plaintext of a root image that lives on the edges: each read takes its chunks from
 * the cache, or has them fetched (from all edges, hedged, verified, retried) and decrypted once; sequential
 * reading fetches ahead in parallel. A read never fails while the reader is open; it waits instead, unless every
 * edge serves another image's chunk (a {@link ForeignImageException}, an I/O error to the reader).
 */
public final class RemoteRootImage implements ReadOnlyFile, Closeable {
    /** Most reads at once: libfuse serves on up to ten threads. */
    static final int FUSE_THREADS = 10;

    private final ChunkFetcher fetcher;
    private final ChunkOpener opener;
    private final ImageHeader header;
    private final ChunkCache cache;
    private final ChunkBuffers sealedChunks;
    private final ReadAhead readAhead;
    private final ExecutorService prefetchers;
    private final Semaphore prefetchSlots;
    private final ConsoleSink console;

    private RemoteRootImage(ChunkFetcher fetcher, ChunkOpener opener, TetheredSettings settings) {
        this.fetcher = fetcher;
        this.opener = opener;
        this.header = opener.header();
        this.console = settings.fetch().console();
        // Read-ahead must not push out what it fetched before it is read: at most half the cache ahead.
        int window = (int) Math.min(settings.readAheadChunks(), settings.cacheBytes() / header.chunkSize() / 2);
        // Spare buffers for the loads that can be in flight at once, so that a sequential reader recycles
        // the buffers of evicted chunks instead of allocating new ones; the same for the sealed bytes,
        // which are only needed while a chunk is verified and decrypted.
        int spare = window + FUSE_THREADS;
        this.cache = new ChunkCache(this::loadChunk, new ChunkBuffers(header.chunkSize(), spare), settings.cacheBytes());
        this.sealedChunks = new ChunkBuffers(header.sealedChunkSize(), spare);
        this.prefetchSlots = new Semaphore(Math.max(1, window));
        this.prefetchers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("chunk-prefetch-", 0).factory());
        this.readAhead = new ReadAhead(window, header.chunkCount(), this::prefetch);
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
            ImageHeader header = RemoteHeader.fetch(fetcher, pin, key);
            ChunkOpener opener = new ChunkOpener(header, key, pin);
            opener.warmUpInBackground();
            return new RemoteRootImage(fetcher, opener, settings);
        } catch (IOException | RuntimeException e) {
            fetcher.close();
            throw e;
        }
    }

    public ImageHeader header() {
        return header;
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
        long end = Math.min(size, position + dst.remaining());
        readAhead.onRead(header.chunkIndexAt(position), header.chunkIndexAt(end - 1));
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

    private void loadChunk(long index, ByteBuffer into) throws IOException {
        var location = header.locate(index);
        try {
            fetcher.fetch(location.offset(), location.length(), index, "chunk " + index, sealedChunks,
                    body -> opener.openInto(index, body.bytes(), into));
        } catch (ForeignImageException e) {
            // The kernel sees only an I/O error; the console says which edges and what to do.
            console.message(e.getMessage());
            throw e;
        }
    }

    /** Starts fetching a chunk ahead; false when every prefetch slot is busy. */
    private boolean prefetch(long index) {
        if (cache.contains(index)) {
            return true;
        }
        if (!prefetchSlots.tryAcquire()) {
            return false;
        }
        boolean started = false;
        try {
            started = cache.prefetch(index, task -> prefetchers.execute(() -> {
                try {
                    task.run();
                } finally {
                    prefetchSlots.release();
                }
            }));
        } finally {
            if (!started) {
                prefetchSlots.release();
            }
        }
        return true;
    }

    @Override
    public void close() {
        fetcher.close();
        prefetchers.shutdownNow();
    }
}
