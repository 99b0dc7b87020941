package dev.tether.content.edge;

import dev.tether.content.http.BlobHandler.BlobUnavailable;
import dev.tether.content.metrics.ServerMetrics;
import dev.tether.content.store.BlobSource;
import dev.tether.content.store.Digest;
import dev.tether.content.store.ServableBlob;
import dev.tether.content.store.StoredBlob;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
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
 */
public final class EdgeCache implements BlobSource, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EdgeCache.class);

    private static final class Entry {
        final long size;
        int pins;
        /** Opened at the first hit, shared by all responses, closed on eviction (never while pinned). */
        FileChannel channel;

        Entry(long size) {
            this.size = size;
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

    private final Object lock = new Object();
    private final LinkedHashMap<Digest, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);
    private final Map<Digest, CacheFill> fills = new HashMap<>();
    private Set<Digest> protectedDigests = Set.of();
    private long used;

    private EdgeCache(Path root, long quota, List<FillSource> sources, FillClient client, ServerMetrics metrics) {
        this.blobDir = root.resolve("blobs").resolve("sha256");
        this.tempDir = root.resolve("tmp");
        this.quota = quota;
        this.sources = List.copyOf(sources);
        this.client = client;
        this.metrics = metrics;
    }

    /**
     * Opens the cache directory, forgetting unfinished fills and evicting down to the quota.
     *
     * @param sources in the order fills try them: the origin first (it is authoritative), then the
     *                peers, which matter when the origin is down or a blob was lost there
     */
    public static EdgeCache open(Path root, long quota, List<FillSource> sources, FillSettings settings, ServerMetrics metrics)
            throws IOException {
        FillClient client = new FillClient(settings.connectTimeout(), settings.headerTimeout(), settings.stallTimeout(),
                settings.sslContext());
        EdgeCache cache = new EdgeCache(root, quota, sources, client, metrics);
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
        record Found(Digest digest, long size, FileTime modified) {
        }
        List<Found> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(blobDir)) {
            for (Path p : files) {
                Digest d = Digest.ofHexOrNull(p.getFileName().toString());
                if (d != null && Files.isRegularFile(p)) {
                    found.add(new Found(d, Files.size(p), Files.getLastModifiedTime(p)));
                }
            }
        }
        // Last use is not recorded on disk; the time a blob was stored is the closest stand-in.
        found.sort(Comparator.comparing(Found::modified));
        synchronized (lock) {
            for (Found f : found) {
                entries.put(f.digest, new Entry(f.size));
                used += f.size;
            }
            evictLocked(0);
        }
        log.info("cache {} holds {} blobs, {} of {} bytes", blobDir, entries.size(), used, quota);
    }

    Path pathOf(Digest digest) {
        return blobDir.resolve(digest.hex());
    }

    public long used() {
        synchronized (lock) {
            return used;
        }
    }

    public boolean holds(Digest digest) {
        synchronized (lock) {
            return entries.containsKey(digest);
        }
    }

    /** Blobs that must stay (those the boot configuration names); eviction passes over them. */
    public void protect(Set<Digest> digests) {
        synchronized (lock) {
            protectedDigests = Set.copyOf(digests);
        }
    }

    @Override
    public CompletableFuture<ServableBlob> open(Digest digest, boolean onlyIfCached) {
        CacheFill fill;
        boolean started;
        synchronized (lock) {
            Entry e = entries.get(digest);
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
    public CompletableFuture<Void> ensure(Digest digest) {
        CacheFill fill;
        synchronized (lock) {
            if (entries.containsKey(digest)) {
                return CompletableFuture.completedFuture(null);
            }
            fill = fills.get(digest);
            if (fill != null) {
                return fill.done();
            }
            fill = newFillLocked(digest);
        }
        fill.start();
        return fill.done();
    }

    private CacheFill newFillLocked(Digest digest) {
        CacheFill fill = new CacheFill(digest, sources, client, this, tempDir, metrics);
        fills.put(digest, fill);
        return fill;
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
                throw new BlobUnavailable(HttpResponseStatus.INSUFFICIENT_STORAGE, "this edge's cache quota of " + quota
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

    /** Publishes a verified fill under its digest's name; its space was reserved already. */
    void commit(Digest digest, Path verified, long size) throws IOException {
        Path target = pathOf(digest);
        Files.move(verified, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        synchronized (lock) {
            entries.put(digest, new Entry(size));
            fills.remove(digest);
        }
    }

    void fillEnded(CacheFill fill) {
        synchronized (lock) {
            fills.remove(fill.digest(), fill);
        }
    }

    private void evictLocked(long needed) {
        Iterator<Map.Entry<Digest, Entry>> it = entries.entrySet().iterator();
        while (used + needed > quota && it.hasNext()) {
            Map.Entry<Digest, Entry> candidate = it.next();
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
        synchronized (lock) {
            entries.values().forEach(Entry::closeChannel);
        }
    }
}
