package dev.tether.content.edge;

import dev.tether.content.metrics.ServerMetrics;
import dev.tether.contracts.BlobDigest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single fetch of one missing blob into the cache. Sources are tried in order; each one's bytes
 * are verified at the end, and a source whose bytes do not match is discarded and the next one
 * tried. Readers never start their own fetch: they read what the current attempt has written and
 * {@link #await wait} for the rest.
 *
 * <p>The size a source announces is believed as far as the source is. The origin's is the blob's:
 * the quota makes room for all of it at once (evicting what it must), and a later source that
 * announces another is refused. A peer is another edge, which this one does not trust, and it is
 * asked when the origin cannot answer: what it announces holds for its own answer only, a claim
 * beyond the whole quota ends that answer, and room is made for its bytes as they arrive. So a
 * lying peer can neither keep the next source's true blob out nor evict the cache with a number.
 */
final class CacheFill {
    private static final Logger log = LoggerFactory.getLogger(CacheFill.class);

    private final BlobDigest digest;
    private final List<FillSource> sources;
    private final FillClient client;
    private final EdgeCache cache;
    private final Path tempDir;
    private final ServerMetrics metrics;
    private final long started = System.nanoTime();
    /** The current attempt's size for readers; replaced when a later source announces another. */
    private volatile CompletableFuture<Long> sized = new CompletableFuture<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final ConcurrentLinkedQueue<Runnable> waiters = new ConcurrentLinkedQueue<>();

    private volatile FillAttempt attempt;
    private volatile IOException failure;
    private volatile boolean stored;
    /** The size the origin announced, which every later source must match; -1 until then. */
    private long originSize = -1;
    private int nextSource;
    private boolean anyMissing;
    private boolean anyBroken;

    CacheFill(BlobDigest digest, List<FillSource> sources, FillClient client, EdgeCache cache, Path tempDir, ServerMetrics metrics) {
        this.digest = digest;
        this.sources = sources;
        this.client = client;
        this.cache = cache;
        this.tempDir = tempDir;
        this.metrics = metrics;
    }

    BlobDigest digest() {
        return digest;
    }

    /**
     * Completes with the blob's size once a source has answered with it; when a later source announces another (an
     * earlier peer's was wrong), a new future holds that one, and readers begun with the old size are cut.
     */
    CompletableFuture<Long> sized() {
        return sized;
    }

    /** Completes when the blob is stored, or exceptionally when no source had it intact. */
    CompletableFuture<Void> done() {
        return done;
    }

    FillAttempt attempt() {
        return attempt;
    }

    IOException failure() {
        return failure;
    }

    boolean stored() {
        return stored;
    }

    Path storedPath() {
        return cache.pathOf(digest);
    }

    /** Runs {@code wake} once, at the next progress: bytes written, a new attempt, the end. */
    void await(Runnable wake) {
        waiters.add(wake);
    }

    private void wakeAll() {
        Runnable r;
        while ((r = waiters.poll()) != null) {
            r.run();
        }
    }

    void start() {
        tryNextSource();
    }

    private void tryNextSource() {
        if (nextSource == sources.size()) {
            giveUp();
            return;
        }
        int number = nextSource++;
        FillSource source = sources.get(number);
        AttemptSink sink = new AttemptSink(number, source);
        client.fetch(source.blobUri(digest), source.peer(), sink).whenComplete((ok, error) -> {
            if (error == null) {
                finishStored(sink);
            } else {
                sink.releaseRoom();
                attemptFailed(source, sink.attempt, error instanceof CompletionException ? error.getCause() : error);
            }
        });
    }

    private void finishStored(AttemptSink sink) {
        FillAttempt a = sink.attempt;
        long size = a.size;
        try {
            cache.commit(digest, a.path, size);
        } catch (IOException e) {
            sink.releaseRoom();
            attemptFailed(a.source, a, e);
            return;
        }
        stored = true;
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        metrics.fillStored(took, size);
        log.info("filled {} ({} bytes) from {} in {} ms", digest, size, a.source, took.toMillis());
        done.complete(null);
        wakeAll();
    }

    private void attemptFailed(FillSource source, FillAttempt a, Throwable error) {
        if (a != null) {
            a.discard();
            metrics.fillDiscarded();
        }
        if (error instanceof BlobUnavailable quota) {
            // The cache cannot hold it; another source would not change that.
            fail(quota.reason(), quota.getMessage());
            return;
        }
        if (error instanceof FillClient.SourceMissing) {
            anyMissing = true;
            log.debug("{} does not have {}", source, digest);
        } else {
            anyBroken = true;
            log.warn("fill of {} from {} failed: {}", digest, source, error.getMessage() != null ? error.getMessage() : error.toString());
        }
        wakeAll();
        tryNextSource();
    }

    private void giveUp() {
        if (anyMissing && !anyBroken) {
            fail(BlobUnavailable.Reason.NOT_AT_ANY_SOURCE, "neither the origin nor any peer has " + digest);
        } else {
            fail(BlobUnavailable.Reason.NO_INTACT_SOURCE, "no source could provide " + digest + " intact; the edge log says why");
        }
    }

    private void fail(BlobUnavailable.Reason why, String message) {
        metrics.fillFailed();
        failure = new IOException(message);
        cache.fillFailed(this, message);
        BlobUnavailable reason = new BlobUnavailable(why, message);
        sized.completeExceptionally(reason);
        done.completeExceptionally(reason);
        wakeAll();
    }

    /** Receives one source's response into a new {@link FillAttempt}. */
    private final class AttemptSink implements FillClient.Sink {
        private final int number;
        private final FillSource source;
        private FillAttempt attempt;
        /** Bytes of the quota this answer holds: the origin's size at once, a peer's bytes as they arrive. */
        private long room;

        AttemptSink(int number, FillSource source) {
            this.number = number;
            this.source = source;
        }

        @Override
        public void begin(long contentLength) throws IOException {
            CompletableFuture<Long> told;
            synchronized (CacheFill.this) {
                if (originSize >= 0 && originSize != contentLength) {
                    throw new IOException(source + " announces " + contentLength + " bytes; the origin announced "
                            + originSize);
                }
                if (source.peer()) {
                    if (contentLength > cache.quota()) {
                        throw new IOException(source + " announces " + contentLength
                                + " bytes, more than this edge's whole cache quota of " + cache.quota());
                    }
                } else {
                    cache.reserve(contentLength);
                    room = contentLength;
                    originSize = contentLength;
                }
                attempt = new FillAttempt(number, source, tempDir.resolve(digest.hex() + "." + number), contentLength);
                CacheFill.this.attempt = attempt;
                if (sized.isDone() && sized.getNow(-1L) != contentLength) {
                    // Readers told an earlier source's size are cut when they come to this attempt (FillingBlob).
                    sized = new CompletableFuture<>();
                }
                told = sized;
            }
            // Outside the lock: completing runs the waiting readers' answers.
            told.complete(contentLength);
            wakeAll();
        }

        @Override
        public void accept(ByteBuffer data) throws IOException {
            if (source.peer()) {
                try {
                    cache.reserve(data.remaining());
                } catch (BlobUnavailable full) {
                    throw new IOException(full.getMessage());
                }
                room += data.remaining();
            }
            attempt.write(data);
            wakeAll();
        }

        /** Gives back the quota this answer held, once it failed. */
        void releaseRoom() {
            cache.release(room);
            room = 0;
        }

        @Override
        public void end() throws IOException {
            attempt.verify(digest);
        }
    }
}
