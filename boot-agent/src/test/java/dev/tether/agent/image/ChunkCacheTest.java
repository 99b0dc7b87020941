package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class ChunkCacheTest {
    private static ByteBuffer chunk(long index, int size) {
        ByteBuffer b = ByteBuffer.allocate(size);
        for (int i = 0; i < size; i++) {
            b.put((byte) (index + i));
        }
        return b.flip();
    }

    /** A loader that writes {@link #chunk} into the cache's buffer, after {@code before} runs. */
    private static ChunkCache.Loader writing(int size, Before before) {
        return (index, into) -> {
            before.run(index);
            into.put(chunk(index, size)).flip();
        };
    }

    @FunctionalInterface
    private interface Before {
        void run(long index) throws IOException;
    }

    /** The bytes of chunk {@code index}, read through the cache and released. */
    private static ByteBuffer read(ChunkCache cache, long index) throws IOException {
        try (ChunkCache.Chunk chunk = cache.get(index)) {
            ByteBuffer copy = ByteBuffer.allocate(chunk.bytes().remaining());
            return copy.put(chunk.bytes()).flip();
        }
    }

    /** Waits for the other readers to reach the cache; generous, since a busy machine may be slow to run them. */
    private static void await(BooleanSupplier condition) {
        Awaitility.await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(5)).until(condition::getAsBoolean);
    }

    private static void awaitLatch(CountDownLatch latch) throws IOException {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new InterruptedIOException();
        }
    }

    @Test
    void concurrentReadersOfOneChunkShareOneLoad() throws Exception {
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        ChunkCache cache = new ChunkCache(writing(1024, index -> {
            loads.incrementAndGet();
            awaitLatch(release);
        }), new ChunkBuffers(1024, 4), 1 << 20);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<ByteBuffer>> readers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                readers.add(pool.submit(() -> read(cache, 5)));
            }
            await(() -> cache.joins() >= 7);
            release.countDown();
            for (Future<ByteBuffer> reader : readers) {
                assertThat(reader.get(1, TimeUnit.MINUTES)).isEqualTo(chunk(5, 1024));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(loads.get()).isEqualTo(1);
        assertThat(cache.joins()).isEqualTo(7);
        assertThat(read(cache, 5)).isEqualTo(chunk(5, 1024));
        assertThat(cache.hits()).isEqualTo(1);
    }

    @Test
    void theLeastRecentlyUsedChunkGoesWhenTheBoundIsPassed() throws IOException {
        List<Long> loaded = new ArrayList<>();
        ChunkCache cache = new ChunkCache(writing(100, loaded::add), new ChunkBuffers(100, 4), 300);
        read(cache, 1);
        read(cache, 2);
        read(cache, 3);
        read(cache, 1);
        read(cache, 4);
        assertThat(cache.contains(2)).as("2 was least recently used").isFalse();
        assertThat(cache.contains(1)).isTrue();
        assertThat(cache.contains(3)).isTrue();
        assertThat(cache.contains(4)).isTrue();
        read(cache, 2);
        assertThat(loaded).containsExactly(1L, 2L, 3L, 4L, 2L);
    }

    @Test
    void aShortLastChunkEndsAtItsLimit() throws IOException {
        ChunkCache cache = new ChunkCache((index, into) -> into.put(chunk(index, 30)).flip(),
                new ChunkBuffers(100, 4), 1000);
        try (ChunkCache.Chunk chunk = cache.get(7)) {
            assertThat(chunk.bytes().isDirect()).isTrue();
            assertThat(chunk.bytes().isReadOnly()).isTrue();
            assertThat(chunk.bytes()).isEqualTo(chunk(7, 30));
        }
    }

    @Test
    void aFailedLoadReachesItsWaitersReturnsItsBufferAndTheNextReadLoadsAgain() throws IOException {
        AtomicInteger attempts = new AtomicInteger();
        ChunkBuffers buffers = new ChunkBuffers(10, 4);
        ChunkCache cache = new ChunkCache((index, into) -> {
            into.put((byte) 99);
            if (attempts.incrementAndGet() == 1) {
                throw new IOException("reader closed");
            }
            into.clear().put(chunk(index, 10)).flip();
        }, buffers, 1000);
        assertThatThrownBy(() -> cache.get(0)).hasMessage("reader closed");
        assertThat(buffers.free()).as("the failed load's buffer").isEqualTo(1);
        assertThat(read(cache, 0)).isEqualTo(chunk(0, 10));
        assertThat(buffers.allocated()).as("the second load reused it").isEqualTo(1);
    }

    @Test
    void prefetchLoadsInTheBackgroundOnceAndAReadJoinsIt() throws Exception {
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        ChunkCache cache = new ChunkCache(writing(64, index -> {
            loads.incrementAndGet();
            awaitLatch(release);
        }), new ChunkBuffers(64, 4), 1000);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            assertThat(cache.prefetch(9, pool)).isTrue();
            assertThat(cache.prefetch(9, pool)).as("already on its way").isFalse();
            Future<ByteBuffer> reader = Executors.newVirtualThreadPerTaskExecutor().submit(() -> read(cache, 9));
            release.countDown();
            assertThat(reader.get(1, TimeUnit.MINUTES)).isEqualTo(chunk(9, 64));
        } finally {
            pool.shutdownNow();
        }
        assertThat(loads.get()).isEqualTo(1);
    }

    @Test
    void missingChunksOfARangeAreLoadedInRunsWithOneCallEachAndWhatIsThereIsSkipped() throws Exception {
        List<String> calls = new ArrayList<>();
        ChunkCache.Loader loader = new ChunkCache.Loader() {
            @Override
            public void load(long index, ByteBuffer into) {
                loadRun(index, List.of(into));
            }

            @Override
            public void loadRun(long first, List<ByteBuffer> into) {
                synchronized (calls) {
                    calls.add(first + "+" + into.size());
                }
                for (int i = 0; i < into.size(); i++) {
                    into.get(i).put(chunk(first + i, 64)).flip();
                }
            }
        };
        ChunkCache cache = new ChunkCache(loader, new ChunkBuffers(64, 16), 64 * 32);
        assertThat(cache.prefetch(5, 5, 4, Runnable::run)).isEqualTo(1);

        // 0 to 11 with 5 cached: runs of at most 4 on either side of it.
        assertThat(cache.prefetch(0, 11, 4, Runnable::run)).isEqualTo(11);

        assertThat(calls).containsExactly("5+1", "0+4", "4+1", "6+4", "10+2");
        for (long index = 0; index <= 11; index++) {
            assertThat(read(cache, index)).isEqualTo(chunk(index, 64));
        }
        assertThat(cache.loads()).isEqualTo(12);
        assertThat(cache.prefetch(0, 11, 4, Runnable::run)).as("all there now").isZero();
    }

    @Test
    void aReadAheadRunStopsAtItsLengthOrAtTheFirstChunkThatIsThere() throws Exception {
        List<String> calls = new ArrayList<>();
        ChunkCache.Loader loader = new ChunkCache.Loader() {
            @Override
            public void load(long index, ByteBuffer into) {
                loadRun(index, List.of(into));
            }

            @Override
            public void loadRun(long first, List<ByteBuffer> into) {
                calls.add(first + "+" + into.size());
                for (int i = 0; i < into.size(); i++) {
                    into.get(i).put(chunk(first + i, 64)).flip();
                }
            }
        };
        ChunkCache cache = new ChunkCache(loader, new ChunkBuffers(64, 16), 64 * 32);
        read(cache, 6);

        assertThat(cache.prefetchRun(0, 4, Runnable::run)).as("0 to 3, one call").isEqualTo(4);
        assertThat(cache.prefetchRun(4, 8, Runnable::run)).as("4 and 5: 6 is there").isEqualTo(2);
        assertThat(cache.prefetchRun(6, 8, Runnable::run)).as("6 is there: nothing to start").isZero();
        assertThat(calls).containsExactly("6+1", "0+4", "4+2");
        assertThat(cache.present(5)).isTrue();
        assertThat(cache.present(7)).isFalse();
        for (long index = 0; index <= 6; index++) {
            assertThat(read(cache, index)).isEqualTo(chunk(index, 64));
        }
    }

    @Test
    void aRunThatFailsFailsEachOfItsChunksAndALaterReadLoadsThemAgain() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        ChunkCache.Loader loader = new ChunkCache.Loader() {
            @Override
            public void load(long index, ByteBuffer into) {
                into.put(chunk(index, 64)).flip();
            }

            @Override
            public void loadRun(long first, List<ByteBuffer> into) throws IOException {
                runs.incrementAndGet();
                throw new IOException("no edge answered");
            }
        };
        ChunkBuffers buffers = new ChunkBuffers(64, 16);
        ChunkCache cache = new ChunkCache(loader, buffers, 64 * 32);

        assertThat(cache.prefetch(0, 3, 4, Runnable::run)).isEqualTo(4);

        assertThat(runs.get()).isEqualTo(1);
        assertThat(buffers.free()).as("the run's buffers went back").isEqualTo((int) buffers.allocated());
        assertThat(read(cache, 2)).as("loaded on its own by the reader").isEqualTo(chunk(2, 64));
    }

    @Test
    void anEvictedChunkStaysIntactWhileAReaderHoldsItAndIsRecycledWhenReleased() throws IOException {
        ChunkBuffers buffers = new ChunkBuffers(64, 4);
        ChunkCache cache = new ChunkCache(writing(64, index -> { }), buffers, 64);
        try (ChunkCache.Chunk held = cache.get(1)) {
            for (long index = 2; index <= 10; index++) {
                assertThat(read(cache, index)).isEqualTo(chunk(index, 64));
            }
            assertThat(cache.contains(1)).as("evicted").isFalse();
            assertThat(held.bytes()).as("not recycled while held").isEqualTo(chunk(1, 64));
            assertThat(buffers.allocated()).as("chunk 1's, and two taking turns for the others").isEqualTo(3);
            assertThat(buffers.free()).isEqualTo(1);
        }
        assertThat(buffers.free()).as("chunk 1's buffer, back when released").isEqualTo(2);
    }

    /** A cache with room for one chunk of 32 bytes, whose load of chunk 5 waits for {@code release}. */
    private static ChunkCache oneChunkCache(ChunkBuffers buffers, CountDownLatch release) {
        return new ChunkCache(writing(32, index -> {
            if (index == 5) {
                awaitLatch(release);
            }
        }), buffers, 32);
    }

    @Test
    void eachReaderJoiningALoadHoldsItsOwnReference() throws Exception {
        ChunkBuffers buffers = new ChunkBuffers(32, 4);
        CountDownLatch release = new CountDownLatch(1);
        ChunkCache cache = oneChunkCache(buffers, release);
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try {
            List<Future<ChunkCache.Chunk>> readers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                readers.add(pool.submit(() -> cache.get(5)));
            }
            await(() -> cache.joins() >= 3);
            release.countDown();
            List<ChunkCache.Chunk> held = new ArrayList<>();
            for (Future<ChunkCache.Chunk> reader : readers) {
                held.add(reader.get(1, TimeUnit.MINUTES));
            }
            read(cache, 6);
            assertThat(cache.contains(5)).as("evicted").isFalse();
            for (ChunkCache.Chunk chunk : held) {
                assertThat(buffers.free()).as("still held by a reader").isZero();
                assertThat(chunk.bytes()).isEqualTo(chunk(5, 32));
                chunk.close();
                chunk.close();
            }
            assertThat(buffers.free()).as("back after the last reader closed it").isEqualTo(1);
            assertThatThrownBy(() -> held.get(0).bytes()).isInstanceOf(IllegalStateException.class);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aReaderInterruptedWhileWaitingHoldsNoReference() throws Exception {
        ChunkBuffers buffers = new ChunkBuffers(32, 4);
        CountDownLatch release = new CountDownLatch(1);
        ChunkCache cache = oneChunkCache(buffers, release);
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try {
            Future<ByteBuffer> loader = pool.submit(() -> read(cache, 5));
            await(() -> cache.loads() == 1);
            AtomicReference<Object> joined = new AtomicReference<>();
            Thread joiner = Thread.ofVirtual().start(() -> {
                try {
                    joined.set(read(cache, 5));
                } catch (IOException e) {
                    joined.set(e);
                }
            });
            await(() -> cache.joins() == 1);
            joiner.interrupt();
            joiner.join(5000);
            assertThat(joined.get()).isInstanceOf(InterruptedIOException.class);
            release.countDown();
            assertThat(loader.get(1, TimeUnit.MINUTES)).isEqualTo(chunk(5, 32));
            read(cache, 6);
            assertThat(buffers.free()).as("chunk 5's buffer, released by all").isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Many readers and prefetches over a cache of two chunks, so chunks are evicted and their buffers
     * recycled all the time: each reader checks its chunk's bytes, yields, and checks them again. A buffer
     * recycled while a reader still held it would show another chunk's bytes.
     */
    @Test
    void noReaderEverSeesARecycledBuffer() throws Exception {
        int size = 4096;
        ChunkBuffers buffers = new ChunkBuffers(size, 2);
        ChunkCache cache = new ChunkCache(writing(size, index -> { }), buffers, 2L * size);
        ByteBuffer[] expected = new ByteBuffer[8];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = chunk(i, size);
        }
        ExecutorService prefetchers = Executors.newFixedThreadPool(2);
        ExecutorService readers = Executors.newFixedThreadPool(6);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int r = 0; r < 6; r++) {
                long seed = r;
                results.add(readers.submit(() -> {
                    Random random = new Random(seed);
                    int mismatches = 0;
                    for (int i = 0; i < 2000; i++) {
                        int index = random.nextInt(expected.length);
                        cache.prefetch(random.nextInt(expected.length), prefetchers);
                        try (ChunkCache.Chunk chunk = cache.get(index)) {
                            if (!chunk.bytes().equals(expected[index])) {
                                mismatches++;
                            }
                            Thread.yield();
                            if (!chunk.bytes().equals(expected[index])) {
                                mismatches++;
                            }
                        }
                    }
                    return mismatches;
                }));
            }
            for (Future<Integer> result : results) {
                assertThat(result.get(60, TimeUnit.SECONDS)).isZero();
            }
        } finally {
            readers.shutdownNow();
            prefetchers.shutdownNow();
        }
        assertThat(cache.loads()).as("chunks were evicted and loaded again").isGreaterThan(100);
    }
}
