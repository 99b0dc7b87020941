package dev.tether.operator.nodeapi;

import dev.tether.nodeapi.NodeApi;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node API's handler threads, in two pools. Most endpoints write to the Kubernetes API before they answer (an
 * issued key's hash, host certificates' serials, the boot report), and their handlers spend most of a request waiting on
 * it; boot-config and image-key are answered from the informers' caches in a millisecond or so of CPU. In one pool the
 * reads queued behind the writes: a boot storm's nodes waited seconds for a boot configuration the operator had in memory
 * (docs/scale.md). With a pool of their own, what a read waits for is CPU, not the API server.
 *
 * <p>A read that misses the cache (an informer not synced yet, an object created a moment ago) still reads the API
 * server from its own pool; that is rare and bounded by the same queue.
 */
final class HandlerPools implements AutoCloseable {
    /** Endpoints answered from the informers' caches, never writing to the Kubernetes API on success. */
    static final Set<String> CACHE_READS = Set.of(NodeApi.BOOT_CONFIG, NodeApi.IMAGE_KEY);
    /** Waiting requests beyond each pool's threads; past this, 503. */
    static final int QUEUE = 256;

    private final ExecutorService reads;
    private final ExecutorService writes;

    /** Two given pools (a test's, which runs tasks when it says). */
    HandlerPools(ExecutorService reads, ExecutorService writes) {
        this.reads = reads;
        this.writes = writes;
    }

    /**
     * @param writeThreads threads for the endpoints that write (the node API's {@code handlerThreads} setting); the cache
     *                     reads get about the cores this JVM may use, as their work is CPU (at least two, so that one
     *                     slow cache miss does not stall the rest)
     */
    static HandlerPools start(int writeThreads) {
        return new HandlerPools(pool("node-api-read-", Math.max(2, Runtime.getRuntime().availableProcessors())),
                pool("node-api-", writeThreads));
    }

    /** The pool that answers {@code endpoint} (as {@link RequestTimings#endpointOf} names it). */
    ExecutorService forEndpoint(String endpoint) {
        return CACHE_READS.contains(endpoint) ? reads : writes;
    }

    /** The pool for work that may write: refusals (which record events) and persistence uploads. */
    ExecutorService writes() {
        return writes;
    }

    @Override
    public void close() {
        reads.shutdown();
        writes.shutdown();
    }

    private static ThreadPoolExecutor pool(String namePrefix, int threads) {
        var count = new AtomicInteger();
        var pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            var t = new Thread(r, namePrefix + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
