package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ChunkCacheTest {
    private static ByteBuffer chunk(long index, int size) {
        ByteBuffer b = ByteBuffer.allocate(size);
        for (int i = 0; i < size; i++) {
            b.put((byte) (index + i));
        }
        return b.flip();
    }

    @Test
    void concurrentReadersOfOneChunkShareOneLoad() throws Exception {
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        ChunkCache cache = new ChunkCache(index -> {
            loads.incrementAndGet();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            return chunk(index, 1024);
        }, 1 << 20);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<ByteBuffer>> readers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                readers.add(pool.submit(() -> cache.get(5)));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (cache.joins() < 7 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            release.countDown();
            for (Future<ByteBuffer> reader : readers) {
                assertThat(reader.get(5, TimeUnit.SECONDS)).isEqualTo(chunk(5, 1024));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(loads.get()).isEqualTo(1);
        assertThat(cache.joins()).isEqualTo(7);
        assertThat(cache.get(5)).isEqualTo(chunk(5, 1024));
        assertThat(cache.hits()).isEqualTo(1);
    }

    @Test
    void theLeastRecentlyUsedChunkGoesWhenTheBoundIsPassed() throws IOException {
        List<Long> loaded = new ArrayList<>();
        ChunkCache cache = new ChunkCache(index -> {
            loaded.add(index);
            return chunk(index, 100);
        }, 300);
        cache.get(1);
        cache.get(2);
        cache.get(3);
        cache.get(1);
        cache.get(4);
        assertThat(cache.contains(2)).as("2 was least recently used").isFalse();
        assertThat(cache.contains(1)).isTrue();
        assertThat(cache.contains(3)).isTrue();
        assertThat(cache.contains(4)).isTrue();
        cache.get(2);
        assertThat(loaded).containsExactly(1L, 2L, 3L, 4L, 2L);
    }

    @Test
    void aFailedLoadReachesItsWaitersAndTheNextReadLoadsAgain() throws IOException {
        AtomicInteger attempts = new AtomicInteger();
        ChunkCache cache = new ChunkCache(index -> {
            if (attempts.incrementAndGet() == 1) {
                throw new IOException("reader closed");
            }
            return chunk(index, 10);
        }, 1000);
        assertThatThrownBy(() -> cache.get(0)).hasMessage("reader closed");
        assertThat(cache.get(0)).isEqualTo(chunk(0, 10));
    }

    @Test
    void prefetchLoadsInTheBackgroundOnceAndAReadJoinsIt() throws Exception {
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        ChunkCache cache = new ChunkCache(index -> {
            loads.incrementAndGet();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            return chunk(index, 64);
        }, 1000);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            assertThat(cache.prefetch(9, pool)).isTrue();
            assertThat(cache.prefetch(9, pool)).as("already on its way").isFalse();
            Future<ByteBuffer> reader = Executors.newVirtualThreadPerTaskExecutor().submit(() -> cache.get(9));
            release.countDown();
            assertThat(reader.get(5, TimeUnit.SECONDS)).isEqualTo(chunk(9, 64));
        } finally {
            pool.shutdownNow();
        }
        assertThat(loads.get()).isEqualTo(1);
    }
}
