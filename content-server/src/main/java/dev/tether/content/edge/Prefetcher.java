package dev.tether.content.edge;

import dev.tether.content.store.Digest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p>Triggers: {@code POST /prefetch} (the operator's notification when a DisklessImage is
 * published) and every (re)load of the boot configuration, whose profiles name the kernel,
 * initramfs, root image and manifest that nodes are about to fetch.
 */
public final class Prefetcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Prefetcher.class);

    private final EdgeCache cache;
    private final Duration perBlobLimit;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("prefetch").daemon().factory());
    private final Set<Digest> queued = ConcurrentHashMap.newKeySet();

    public Prefetcher(EdgeCache cache, Duration perBlobLimit) {
        this.cache = cache;
        this.perBlobLimit = perBlobLimit;
    }

    /** Queues the blobs not yet held; returns those it queued. */
    public List<Digest> prefetch(Collection<Digest> digests) {
        List<Digest> added = new ArrayList<>();
        for (Digest d : digests) {
            if (!cache.holds(d) && queued.add(d)) {
                added.add(d);
                worker.execute(() -> fetch(d));
            }
        }
        return added;
    }

    private void fetch(Digest d) {
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
            queued.remove(d);
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
