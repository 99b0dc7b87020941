package dev.tether.agent.image;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

/**
 * A bounded, least-recently-used cache of decrypted chunks with single flight: however many threads ask
 * for a chunk that is not there, it is loaded (fetched and decrypted) once and all of them get that copy.
 * Chunks being loaded do not count against the bound; the read-ahead that starts them is bounded itself.
 */
public final class ChunkCache {
    /** Fetches and decrypts one chunk. */
    @FunctionalInterface
    public interface Loader {
        ByteBuffer load(long index) throws IOException;
    }

    private final Loader loader;
    private final long capacityBytes;
    private final Object lock = new Object();
    private final LinkedHashMap<Long, ByteBuffer> ready = new LinkedHashMap<>(64, 0.75f, true);
    private final Map<Long, CompletableFuture<ByteBuffer>> loading = new HashMap<>();
    private long readyBytes;
    private final LongAdder hits = new LongAdder();
    private final LongAdder loads = new LongAdder();
    private final LongAdder joins = new LongAdder();

    public ChunkCache(Loader loader, long capacityBytes) {
        this.loader = loader;
        this.capacityBytes = capacityBytes;
    }

    /** The plaintext of chunk {@code index}: from the cache, from a load in progress, or loaded now. */
    public ByteBuffer get(long index) throws IOException {
        CompletableFuture<ByteBuffer> pending;
        CompletableFuture<ByteBuffer> mine = null;
        synchronized (lock) {
            ByteBuffer chunk = ready.get(index);
            if (chunk != null) {
                hits.increment();
                return chunk.duplicate();
            }
            pending = loading.get(index);
            if (pending == null) {
                mine = new CompletableFuture<>();
                loading.put(index, mine);
            }
        }
        if (mine != null) {
            return load(index, mine).duplicate();
        }
        joins.increment();
        return await(pending).duplicate();
    }

    /**
     * Starts loading chunk {@code index} on {@code executor} unless it is cached or on its way.
     *
     * @return whether a load was started
     */
    public boolean prefetch(long index, Executor executor) {
        CompletableFuture<ByteBuffer> mine;
        synchronized (lock) {
            if (ready.containsKey(index) || loading.containsKey(index)) {
                return false;
            }
            mine = new CompletableFuture<>();
            loading.put(index, mine);
        }
        executor.execute(() -> {
            try {
                load(index, mine);
            } catch (IOException | RuntimeException e) {
                // The failure went to everyone waiting on this load; a later get() loads again.
            }
        });
        return true;
    }

    public boolean contains(long index) {
        synchronized (lock) {
            return ready.containsKey(index);
        }
    }

    /** Reads served from the cache, loads done, and reads that waited for another reader's load. */
    public long hits() {
        return hits.sum();
    }

    public long loads() {
        return loads.sum();
    }

    public long joins() {
        return joins.sum();
    }

    private ByteBuffer load(long index, CompletableFuture<ByteBuffer> mine) throws IOException {
        ByteBuffer chunk;
        try {
            loads.increment();
            chunk = loader.load(index);
        } catch (IOException | RuntimeException e) {
            synchronized (lock) {
                loading.remove(index);
            }
            mine.completeExceptionally(e);
            throw e;
        }
        synchronized (lock) {
            loading.remove(index);
            ready.put(index, chunk);
            readyBytes += chunk.capacity();
            evictLocked();
        }
        mine.complete(chunk);
        return chunk;
    }

    private void evictLocked() {
        Iterator<ByteBuffer> eldest = ready.values().iterator();
        while (readyBytes > capacityBytes && ready.size() > 1) {
            readyBytes -= eldest.next().capacity();
            eldest.remove();
        }
    }

    private static ByteBuffer await(CompletableFuture<ByteBuffer> pending) throws IOException {
        try {
            return pending.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a chunk");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof UncheckedIOException unchecked) {
                throw unchecked.getCause();
            }
            throw new IOException("loading a chunk failed: " + cause, cause);
        }
    }
}
