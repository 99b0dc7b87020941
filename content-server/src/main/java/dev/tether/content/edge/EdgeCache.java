package dev.tether.content.edge;

import dev.tether.content.metrics.ServerMetrics;
import dev.tether.content.store.BlobSource;
import dev.tether.content.store.DurableFiles;
import dev.tether.content.store.ServableBlob;
import dev.tether.content.store.Sha256;
import dev.tether.content.store.StoredBlob;
import dev.tether.contracts.BlobDigest;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An edge's pull-through cache: {@code <dir>/blobs/sha256/<hex>} for complete, verified blobs and
 * {@code <dir>/tmp/} for fills in progress, within a byte quota. Space is reserved when a fill
 * learns the blob's size; to make room, the least recently used blobs are evicted, except those
 * being served right now (pinned) and those the boot configuration refers to (protected).
 *
 * <p>One lock guards the index, the fills in progress and the accounting, so a lookup and the
 * decision to start a fill are one step: there is never a second fill of the same digest.
 *
 * <p>A blob found on disk at start is not trusted by its name: a crash, a bad disk or a hand can
 * have changed it since it was verified. Its first use hashes it again (off the event loop; the
 * request waits), or sooner if the boot configuration names it, and a blob that fails is deleted,
 * counted and filled again.
 */
public final class EdgeCache implements BlobSource, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EdgeCache.class);

    private static final class Entry {
        final long size;
        int pins;
        /** False for a blob found at start, until its content has been hashed again. */
        boolean verified;
        /** The running re-verification of a blob found at start, or null. */
        CompletableFuture<Void> verifying;
        /** Opened at the first hit, shared by all responses, closed on eviction (never while pinned). */
        FileChannel channel;

        Entry(long size, boolean verified) {
            this.size = size;
            this.verified = verified;
        }

        void closeChannel() {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // read-only descriptor
                }
                channel = null;
            }
        }
    }

    private final Path blobDir;
    private final Path tempDir;
    private final long quota;
    private final List<FillSource> sources;
    private final FillClient client;
    private final ServerMetrics metrics;
    private final FillBackoff backoff;
    private final ExecutorService verifier = Executors.newFixedThreadPool(2, Thread.ofPlatform().name("cache-verify-", 0).daemon().factory());

    private final Object lock = new Object();
    private final LinkedHashMap<BlobDigest, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);
    private final Map<BlobDigest, CacheFill> fills = new HashMap<>();
    private Set<BlobDigest> protectedDigests = Set.of();
    private long used;

    private EdgeCache(Path root, long quota, List<FillSource> sources, FillClient client, ServerMetrics metrics, InstantSource clock) {
        this.blobDir = root.resolve("blobs").resolve("sha256");
        this.tempDir = root.resolve("tmp");
        this.quota = quota;
        this.sources = List.copyOf(sources);
        this.client = client;
        this.metrics = metrics;
        this.backoff = new FillBackoff(clock);
    }

    /**
     * Opens the cache directory, forgetting unfinished fills and evicting down to the quota.
     *
     * @param sources in the order fills try them: the origin first (it is authoritative), then the
     *                peers, which matter when the origin is down or a blob was lost there
     * @param clock   what the back-off after a failed fill is timed by
     */
    public static EdgeCache open(Path root, long quota, List<FillSource> sources, FillSettings settings, ServerMetrics metrics,
                                 InstantSource clock) throws IOException {
        FillClient client = new FillClient(settings);
        EdgeCache cache = new EdgeCache(root, quota, sources, client, metrics, clock);
        cache.load();
        metrics.cacheUsage(cache::used, quota);
        return cache;
    }

    private void load() throws IOException {
        Files.createDirectories(blobDir);
        Files.createDirectories(tempDir);
        try (Stream<Path> leftovers = Files.list(tempDir)) {
            for (Path p : (Iterable<Path>) leftovers::iterator) {
                Files.deleteIfExists(p);
            }
        }
        record Found(BlobDigest digest, long size, FileTime modified) {
        }
        List<Found> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(blobDir)) {
            for (Path p : files) {
                BlobDigest d = BlobDigest.ofHexOrNull(p.getFileName().toString());
                if (d != null && Files.isRegularFile(p)) {
                    found.add(new Found(d, Files.size(p), Files.getLastModifiedTime(p)));
                }
            }
        }
        // Last use is not recorded on disk; the time a blob was stored is the closest stand-in.
        found.sort(Comparator.comparing(Found::modified));
        synchronized (lock) {
            for (Found f : found) {
                entries.put(f.digest, new Entry(f.size, false));
                used += f.size;
            }
            evictLocked(0);
        }
        log.info("cache {} holds {} blobs, {} of {} bytes", blobDir, entries.size(), used, quota);
    }

    Path pathOf(BlobDigest digest) {
        return blobDir.resolve(digest.hex());
    }

    /** The most bytes of blobs this edge keeps. */
    long quota() {
        return quota;
    }

    public long used() {
        synchronized (lock) {
            return used;
        }
    }

    public boolean holds(BlobDigest digest) {
        synchronized (lock) {
            return entries.containsKey(digest);
        }
    }

    /**
     * Blobs that must stay (those the boot configuration names); eviction passes over them. Those
     * found at start are verified now rather than when the first booting node waits for them, and
     * one that fails is filled again at once.
     */
    public void protect(Set<BlobDigest> digests) {
        synchronized (lock) {
            protectedDigests = Set.copyOf(digests);
            for (BlobDigest d : protectedDigests) {
                Entry e = entries.get(d);
                if (e != null && !e.verified) {
                    verifyLocked(d, e);
                }
            }
        }
    }

    @Override
    public CompletableFuture<ServableBlob> open(BlobDigest digest, boolean onlyIfCached) {
        CacheFill fill;
        boolean started;
        synchronized (lock) {
            Entry e = entries.get(digest);
            if (e != null && !e.verified) {
                // Asked again once the verdict is in: then the blob is either trusted or gone and filled.
                return verifyLocked(digest, e).thenCompose(verdict -> open(digest, onlyIfCached));
            }
            if (e != null) {
                if (e.channel == null) {
                    try {
                        e.channel = FileChannel.open(pathOf(digest), StandardOpenOption.READ);
                    } catch (IOException gone) {
                        // Deleted behind the cache's back: forget it and fill again.
                        log.warn("cached {} cannot be opened ({}); fetching it again", digest, gone.toString());
                        entries.remove(digest);
                        used -= e.size;
                        e = null;
                    }
                }
            }
            if (e != null) {
                e.pins++;
                metrics.cacheHit();
                Entry hit = e;
                return CompletableFuture.completedFuture(new StoredBlob(pathOf(digest), e.channel, e.size, () -> unpin(hit)));
            }
            if (onlyIfCached) {
                return CompletableFuture.completedFuture(null);
            }
            fill = fills.get(digest);
            started = fill == null;
            if (started) {
                BlobUnavailable wait = backoff.holdBack(digest);
                if (wait != null) {
                    metrics.fillHeldBack();
                    return CompletableFuture.failedFuture(wait);
                }
                fill = newFillLocked(digest);
            }
        }
        metrics.cacheMiss();
        if (started) {
            fill.start();
        }
        CacheFill f = fill;
        return fill.sized().thenApply(size -> new FillingBlob(f, size));
    }

    /** Makes sure a blob is (being) fetched; completes when it is stored. Used by prefetch. */
    public CompletableFuture<Void> ensure(BlobDigest digest) {
        CacheFill fill;
        synchronized (lock) {
            if (entries.containsKey(digest)) {
                return CompletableFuture.completedFuture(null);
            }
            fill = fills.get(digest);
            if (fill != null) {
                return fill.done();
            }
            BlobUnavailable wait = backoff.holdBack(digest);
            if (wait != null) {
                return CompletableFuture.failedFuture(wait);
            }
            fill = newFillLocked(digest);
        }
        fill.start();
        return fill.done();
    }

    private CacheFill newFillLocked(BlobDigest digest) {
        CacheFill fill = new CacheFill(digest, sources, client, this, tempDir, metrics);
        fills.put(digest, fill);
        return fill;
    }

    /** Starts (or joins) hashing a blob found at start; the entry is pinned meanwhile so it is not evicted. */
    private CompletableFuture<Void> verifyLocked(BlobDigest digest, Entry e) {
        if (e.verifying == null) {
            e.pins++;
            e.verifying = CompletableFuture.runAsync(() -> verify(digest, e), verifier);
        }
        return e.verifying;
    }

    private void verify(BlobDigest digest, Entry e) {
        Path path = pathOf(digest);
        BlobDigest actual;
        String problem = null;
        boolean refill;
        try {
            actual = Sha256.ofFile(path);
            if (!actual.equals(digest)) {
                problem = "its content's digest is " + actual;
            }
        } catch (IOException unreadable) {
            problem = "it cannot be read (" + unreadable + ")";
        }
        synchronized (lock) {
            e.pins--;
            e.verifying = null;
            if (entries.get(digest) != e) {
                return;
            }
            refill = protectedDigests.contains(digest);
            if (problem == null) {
                e.verified = true;
            } else {
                entries.remove(digest);
                used -= e.size;
                e.closeChannel();
                try {
                    Files.deleteIfExists(path);
                } catch (IOException stuck) {
                    // commit() replaces it when the fill ends
                }
            }
        }
        metrics.cacheVerified(problem == null);
        if (problem != null) {
            log.warn("cached {} failed verification, the first since start: {}; dropped it, fetching it again", digest, problem);
            if (refill) {
                // Nodes are about to ask for it; a request arriving meanwhile joins this fill.
                ensure(digest);
            }
        }
    }

    private void unpin(Entry e) {
        synchronized (lock) {
            e.pins--;
        }
    }

    @Override
    public List<StoredBlobInfo> list() {
        synchronized (lock) {
            List<StoredBlobInfo> out = new ArrayList<>(entries.size());
            // Iterating a LinkedHashMap in access order does not reorder it.
            entries.forEach((d, e) -> out.add(new StoredBlobInfo(d, e.size)));
            return out;
        }
    }

    // ---- called by fills ---------------------------------------------------------------------------

    /** Reserves room for a blob of {@code size} bytes, evicting as needed. */
    void reserve(long size) {
        synchronized (lock) {
            evictLocked(size);
            if (used + size > quota) {
                throw new BlobUnavailable(BlobUnavailable.Reason.CACHE_FULL, "this edge's cache quota of " + quota
                        + " bytes cannot make room for " + size + " more: " + used + " bytes are in use or being served");
            }
            used += size;
        }
    }

    void release(long size) {
        synchronized (lock) {
            used -= size;
        }
    }

    /**
     * Publishes a verified fill under its digest's name; its space was reserved already. The file
     * was synced by {@link FillAttempt#verify}, so after a power cut the name never points at
     * unwritten blocks (and the check at start would catch it if it did).
     */
    void commit(BlobDigest digest, Path verified, long size) throws IOException {
        DurableFiles.publish(verified, pathOf(digest));
        backoff.succeeded(digest);
        synchronized (lock) {
            entries.put(digest, new Entry(size, true));
            fills.remove(digest);
        }
    }

    /** A fill that stored nothing: the next one waits out a back-off. */
    void fillFailed(CacheFill fill, String reason) {
        backoff.failed(fill.digest(), reason);
        synchronized (lock) {
            fills.remove(fill.digest(), fill);
        }
    }

    private void evictLocked(long needed) {
        Iterator<Map.Entry<BlobDigest, Entry>> it = entries.entrySet().iterator();
        while (used + needed > quota && it.hasNext()) {
            Map.Entry<BlobDigest, Entry> candidate = it.next();
            if (candidate.getValue().pins > 0 || protectedDigests.contains(candidate.getKey())) {
                continue;
            }
            try {
                Files.deleteIfExists(pathOf(candidate.getKey()));
            } catch (IOException e) {
                log.warn("cannot evict {}: {}", candidate.getKey(), e.toString());
                continue;
            }
            used -= candidate.getValue().size;
            candidate.getValue().closeChannel();
            it.remove();
            log.info("evicted {} ({} bytes) to stay within the quota", candidate.getKey(), candidate.getValue().size);
        }
    }

    @Override
    public void close() {
        client.close();
        verifier.shutdownNow();
        synchronized (lock) {
            entries.values().forEach(Entry::closeChannel);
        }
    }
}
