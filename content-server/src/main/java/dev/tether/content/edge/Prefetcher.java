package dev.tether.content.edge;

import dev.tether.content.metrics.ServerMetrics;
import dev.tether.contracts.BlobDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches published blobs before any node asks, one at a time so that a publication does not
 * crowd out the fills that nodes are waiting for. A node's request for a queued blob simply starts
 * (or joins) its fill; the queue then finds it stored.
 *
 * <p>Triggers: every (re)load of the boot configuration, whose profiles name the kernel, initramfs,
 * root image and manifest that nodes are about to fetch, and {@code POST /prefetch} from the holder
 * of the edge's prefetch token.
 *
 * <p>The queue holds each digest once and at most {@code capacity} of them: a publication names a
 * handful, so a caller that asks for more is flooding, and memory must not grow with what it sends.
 */
public final class Prefetcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Prefetcher.class);
    public static final int DEFAULT_CAPACITY = 1024;

    /** What became of one request: the digests newly queued, or none and {@code full}. */
    public record Outcome(List<BlobDigest> queued, boolean full) {
    }

    private final EdgeCache cache;
    private final Duration perBlobLimit;
    private final int capacity;
    private final ServerMetrics metrics;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("prefetch").daemon().factory());
    /** Digests queued or being fetched; the worker's own queue never holds more tasks than this set. */
    private final Set<BlobDigest> queued = new LinkedHashSet<>();

    public Prefetcher(EdgeCache cache, Duration perBlobLimit, int capacity, ServerMetrics metrics) {
        this.cache = cache;
        this.perBlobLimit = perBlobLimit;
        this.capacity = capacity;
        this.metrics = metrics;
        metrics.prefetchQueue(this::size, capacity);
    }

    public int size() {
        synchronized (queued) {
            return queued.size();
        }
    }

    /**
     * Queues the blobs not yet held or queued, all of them or none: when they do not fit, nothing
     * is queued and the outcome says {@code full}, so the caller can send the same request later.
     */
    public Outcome prefetch(Collection<BlobDigest> digests) {
        List<BlobDigest> added = new ArrayList<>();
        synchronized (queued) {
            Set<BlobDigest> fresh = new LinkedHashSet<>();
            for (BlobDigest d : digests) {
                if (!queued.contains(d) && !cache.holds(d)) {
                    fresh.add(d);
                }
            }
            if (queued.size() + fresh.size() > capacity) {
                metrics.prefetchRefused();
                return new Outcome(List.of(), true);
            }
            queued.addAll(fresh);
            added.addAll(fresh);
        }
        for (BlobDigest d : added) {
            worker.execute(() -> fetch(d));
        }
        return new Outcome(added, false);
    }

    private void fetch(BlobDigest d) {
        try {
            cache.ensure(d).get(perBlobLimit.toMillis(), TimeUnit.MILLISECONDS);
            log.info("prefetched {}", d);
        } catch (TimeoutException e) {
            log.warn("prefetch of {} still running after {} s; moving on (the fill continues)", d, perBlobLimit.toSeconds());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("prefetch of {} failed: {}", d, e.getCause() != null ? e.getCause().getMessage() : e.toString());
        } finally {
            synchronized (queued) {
                queued.remove(d);
            }
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
