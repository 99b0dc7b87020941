package dev.tether.agent.image;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A bounded, least-recently-used cache of decrypted chunks with single flight: however many threads ask
 * for a chunk that is not there, it is loaded (fetched and decrypted) once and all of them get that copy.
 * Chunks being loaded do not count against the bound; the read-ahead that starts them is bounded itself.
 *
 * <p>The chunks live in direct buffers from a {@link ChunkBuffers} pool (off the heap: see there why), and
 * are reference-counted so that a buffer goes back to the pool only when nobody reads it any more: the
 * cache holds one reference to each chunk it keeps, and each {@link Chunk} a reader gets holds another
 * until it is closed. Evicting a chunk drops the cache's reference only; a reader still copying from it
 * keeps it intact.
 */
public final class ChunkCache {
    /** Fetches and decrypts one chunk. */
    @FunctionalInterface
    public interface Loader {
        /**
         * Writes the plaintext of chunk {@code index} into {@code into} (cleared, with room for a whole
         * chunk) and leaves it flipped for reading, its limit the chunk's length. On failure, the cache
         * takes the buffer back; the loader must not keep it.
         */
        void load(long index, ByteBuffer into) throws IOException;

        /**
         * Loads consecutive chunks from {@code first}, one buffer each, all or none: for a loader that fetches them
         * with one request. By default one at a time with {@link #load}.
         */
        default void loadRun(long first, List<ByteBuffer> into) throws IOException {
            for (int i = 0; i < into.size(); i++) {
                load(first + i, into.get(i));
            }
        }
    }

    /**
     * A reader's reference to a cached chunk. Read {@link #bytes()}, then close it: after that its buffer
     * may be recycled for another chunk. One per reader; not for sharing between threads.
     */
    public static final class Chunk implements AutoCloseable {
        private Entry entry;
        private ByteBuffer bytes;

        private Chunk(Entry entry) {
            this.entry = entry;
            this.bytes = entry.buffer.asReadOnlyBuffer();
        }

        /** The chunk's plaintext, from position 0 to its length; valid until {@link #close()}. */
        public ByteBuffer bytes() {
            if (bytes == null) {
                throw new IllegalStateException("the chunk was closed");
            }
            return bytes;
        }

        @Override
        public void close() {
            Entry held = entry;
            if (held != null) {
                entry = null;
                bytes = null;
                held.release();
            }
        }
    }

    /** A loaded chunk and how many hold it (the cache while it keeps it, and each open {@link Chunk}). */
    private static final class Entry {
        final ByteBuffer buffer;
        final ChunkBuffers home;
        final AtomicInteger references = new AtomicInteger();

        Entry(ByteBuffer buffer, ChunkBuffers home) {
            this.buffer = buffer;
            this.home = home;
        }

        /** Only while the cache still holds its reference (under its lock), so never from zero. */
        Chunk share() {
            references.incrementAndGet();
            return new Chunk(this);
        }

        void release() {
            int left = references.decrementAndGet();
            if (left == 0) {
                home.give(buffer);
            } else if (left < 0) {
                throw new IllegalStateException("a chunk was released more often than it was shared");
            }
        }
    }

    /** A load in progress, and the readers waiting for it; counted so that each gets its own reference. */
    private static final class Load {
        final CompletableFuture<Entry> done = new CompletableFuture<>();
        int readers;
        boolean settled;
    }

    private final Loader loader;
    private final ChunkBuffers buffers;
    private final long capacityBytes;
    private final Object lock = new Object();
    private final LinkedHashMap<Long, Entry> ready = new LinkedHashMap<>(64, 0.75f, true);
    private final Map<Long, Load> loading = new HashMap<>();
    private long readyBytes;
    private final LongAdder hits = new LongAdder();
    private final LongAdder loads = new LongAdder();
    private final LongAdder joins = new LongAdder();

    /** @param buffers where the chunks' buffers come from; its size is the largest chunk's */
    public ChunkCache(Loader loader, ChunkBuffers buffers, long capacityBytes) {
        this.loader = loader;
        this.buffers = buffers;
        this.capacityBytes = capacityBytes;
    }

    /**
     * The plaintext of chunk {@code index}: from the cache, from a load in progress, or loaded now. The
     * caller must close it when done reading.
     */
    public Chunk get(long index) throws IOException {
        Load pending;
        Load mine = null;
        synchronized (lock) {
            Entry entry = ready.get(index);
            if (entry != null) {
                hits.increment();
                return entry.share();
            }
            pending = loading.get(index);
            if (pending == null) {
                mine = new Load();
                loading.put(index, mine);
                pending = mine;
            }
            pending.readers++;
        }
        if (mine != null) {
            return new Chunk(load(index, mine));
        }
        joins.increment();
        return new Chunk(await(pending));
    }

    /**
     * Starts loading chunk {@code index} on {@code executor} unless it is cached or on its way.
     *
     * @return whether a load was started
     */
    public boolean prefetch(long index, Executor executor) {
        Load mine;
        synchronized (lock) {
            if (ready.containsKey(index) || loading.containsKey(index)) {
                return false;
            }
            mine = new Load();
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

    /**
     * Starts loading the chunks from {@code first} to {@code last} that are neither cached nor on their way, on
     * {@code executor}: each run of consecutive such chunks, up to {@code maxRun} long, with one
     * {@link Loader#loadRun} (one request for a run, where the loader can).
     *
     * @return how many chunks were started
     */
    public int prefetch(long first, long last, int maxRun, Executor executor) {
        List<long[]> runs = new ArrayList<>();
        List<List<Load>> claimed = new ArrayList<>();
        synchronized (lock) {
            long runStart = -1;
            List<Load> run = null;
            for (long index = first; index <= last; index++) {
                boolean absent = !ready.containsKey(index) && !loading.containsKey(index);
                if (absent && run != null && run.size() < maxRun) {
                    Load load = new Load();
                    loading.put(index, load);
                    run.add(load);
                    continue;
                }
                if (run != null) {
                    runs.add(new long[] {runStart});
                    claimed.add(run);
                    run = null;
                }
                if (absent) {
                    runStart = index;
                    run = new ArrayList<>();
                    Load load = new Load();
                    loading.put(index, load);
                    run.add(load);
                }
            }
            if (run != null) {
                runs.add(new long[] {runStart});
                claimed.add(run);
            }
        }
        int started = 0;
        for (int r = 0; r < runs.size(); r++) {
            long start = runs.get(r)[0];
            List<Load> loads = claimed.get(r);
            started += loads.size();
            executor.execute(() -> {
                try {
                    loadRun(start, loads);
                } catch (IOException | RuntimeException e) {
                    // The failure went to everyone waiting on these loads; a later get() loads again.
                }
            });
        }
        return started;
    }

    /**
     * Starts loading, with one {@link Loader#loadRun}, the chunks from {@code first} on that are neither cached nor
     * on their way, up to {@code maxRun} of them and up to the first that is.
     *
     * @return how many chunks were started: 0 when {@code first} is cached or on its way
     */
    public int prefetchRun(long first, int maxRun, Executor executor) {
        List<Load> run = new ArrayList<>();
        synchronized (lock) {
            for (long index = first; run.size() < maxRun && !ready.containsKey(index) && !loading.containsKey(index);
                    index++) {
                Load load = new Load();
                loading.put(index, load);
                run.add(load);
            }
        }
        if (!run.isEmpty()) {
            executor.execute(() -> {
                try {
                    loadRun(first, run);
                } catch (IOException | RuntimeException e) {
                    // The failure went to everyone waiting on these loads; a later get() loads again.
                }
            });
        }
        return run.size();
    }

    /** Whether chunk {@code index} is cached or being loaded. */
    public boolean present(long index) {
        synchronized (lock) {
            return ready.containsKey(index) || loading.containsKey(index);
        }
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

    /** Loads the chunk into a pooled buffer; the entry comes with one reference per waiting reader. */
    private Entry load(long index, Load mine) throws IOException {
        loads.increment();
        ByteBuffer buffer = null;
        try {
            buffer = buffers.take();
            loader.load(index, buffer);
        } catch (Throwable e) {
            synchronized (lock) {
                loading.remove(index);
                mine.settled = true;
            }
            if (buffer != null) {
                buffers.give(buffer);
            }
            mine.done.completeExceptionally(e);
            throw e;
        }
        Entry entry = new Entry(buffer, buffers);
        synchronized (lock) {
            loading.remove(index);
            mine.settled = true;
            entry.references.set(1 + mine.readers);
            ready.put(index, entry);
            readyBytes += buffer.capacity();
            evictLocked();
        }
        mine.done.complete(entry);
        return entry;
    }

    /** {@link #load} for a run of chunks claimed together: all loaded with one call of the loader, or all failed. */
    private void loadRun(long first, List<Load> mine) throws IOException {
        if (mine.size() == 1) {
            load(first, mine.get(0));
            return;
        }
        loads.add(mine.size());
        List<ByteBuffer> taken = new ArrayList<>(mine.size());
        try {
            for (int i = 0; i < mine.size(); i++) {
                taken.add(buffers.take());
            }
            loader.loadRun(first, taken);
        } catch (Throwable e) {
            synchronized (lock) {
                for (int i = 0; i < mine.size(); i++) {
                    loading.remove(first + i);
                    mine.get(i).settled = true;
                }
            }
            taken.forEach(buffers::give);
            mine.forEach(load -> load.done.completeExceptionally(e));
            throw e;
        }
        List<Entry> entries = new ArrayList<>(mine.size());
        synchronized (lock) {
            for (int i = 0; i < mine.size(); i++) {
                Load load = mine.get(i);
                Entry entry = new Entry(taken.get(i), buffers);
                loading.remove(first + i);
                load.settled = true;
                entry.references.set(1 + load.readers);
                ready.put(first + i, entry);
                readyBytes += entry.buffer.capacity();
                entries.add(entry);
            }
            evictLocked();
        }
        for (int i = 0; i < mine.size(); i++) {
            mine.get(i).done.complete(entries.get(i));
        }
    }

    private void evictLocked() {
        Iterator<Entry> eldest = ready.values().iterator();
        while (readyBytes > capacityBytes && ready.size() > 1) {
            Entry entry = eldest.next();
            eldest.remove();
            readyBytes -= entry.buffer.capacity();
            entry.release();
        }
    }

    /** Waits for another reader's load; its entry comes with a reference counted for this reader. */
    private Entry await(Load pending) throws IOException {
        try {
            return pending.done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            boolean counted;
            synchronized (lock) {
                counted = pending.settled;
                if (!counted) {
                    pending.readers--;
                }
            }
            if (counted) {
                // The load finished meanwhile with a reference for this reader: give it back.
                pending.done.thenAccept(Entry::release);
            }
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
