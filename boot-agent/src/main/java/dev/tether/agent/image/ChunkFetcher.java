package dev.tether.agent.image;

import dev.tether.image.format.ChunkIntegrityException;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.ImageFormatException;
import dev.tether.nodeapi.BootReport;
import java.io.Closeable;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Fetches byte ranges of one root image container from a set of edges, and does not give up: each range
 * goes to the least busy edge; if it has not answered within the hedge delay the same range goes to a
 * second edge and the first verified answer wins; an edge that fails, stalls or sends bytes that fail
 * verification is set aside and the range is asked of another (a damaged copy is named on the console);
 * when no edge can serve, the caller waits (with a console message naming the edges) until one can. The
 * only ways out without an answer are {@link #close()} and every edge answering with another image
 * ({@link ForeignImageException}): waiting would not change that, and taking one would boot the wrong image.
 *
 * <p>HTTP/1.1 with keep-alive: one pooled connection per request in flight, so parallel readers open
 * parallel connections to each edge and reuse them. Plain-HTTP edges are read by {@link PlainHttpRanges}
 * (blocking, body straight into one array: cheap per byte); HTTPS edges through the JDK client. A range's first
 * attempt at a plain-HTTP edge runs on the calling thread, which would only wait for it otherwise; its hedge is
 * started by a timer, and an answer from the hedge ends the first attempt (its connection is closed).
 *
 * <p>Call {@link #fetch} from platform or virtual threads, not from the common fork-join pool: the JDK client
 * completes some failures (a refused connection) on that pool, and with two cores its one worker would be
 * the blocked caller itself.
 */
public final class ChunkFetcher implements Closeable {
    /**
     * Turns the bytes of a range into the caller's value, or rejects them as damaged ({@link ImageFormatException})
     * or as another image's ({@link ForeignImageException}).
     */
    @FunctionalInterface
    public interface Verifier<T> {
        T verify(RangeBody body) throws ImageFormatException;
    }

    private static final long POLL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final HttpClient http;
    private final PlainHttpRanges plain;
    /**
     * Every request's stall deadline and every first attempt's hedge, nearly all of them cancelled: the request answered
     * in time. Cancelled tasks leave the queue at once, rather than when due, so the timer's one thread does not wake
     * for each of them (a stall's deadline comes 15 s after its request, long answered) and keeps only deadlines still
     * running: in a boot's served reads, on one emulated CPU, this thread used 0.6-1.0 s.
     */
    private final ScheduledThreadPoolExecutor timer;
    private final EdgeSet edges;
    private final String hex;
    private final String image;
    private final FetchSettings settings;
    private final HedgePolicy hedge;
    private final OutageReporter outages;
    private final DamageReporter damage;
    private final LongSupplier clock;
    private final LongAdder requests = new LongAdder();
    private final LongAdder hedges = new LongAdder();
    private final LongAdder edgeFailures = new LongAdder();
    private final LongAdder integrityFailures = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder verifiedBytes = new LongAdder();
    private volatile boolean closed;

    /**
     * @param edges           the edges, and the clock that hedge delays, backoffs and console intervals are
     *                        judged by
     * @param rootImageDigest {@code sha256:<hex>} of the container the edges serve
     */
    public ChunkFetcher(EdgeSet edges, String rootImageDigest, FetchSettings settings) {
        this.edges = edges;
        this.clock = edges.nanoClock();
        this.hex = ContentDigest.hex(rootImageDigest);
        this.settings = settings;
        this.hedge = new HedgePolicy(settings.hedgeInitial(), settings.hedgeMin(), settings.hedgeMax(),
                settings.hedgeBudget());
        this.image = ContentDigest.shortForm(rootImageDigest);
        this.outages = new OutageReporter(settings.console(), settings.consoleInterval(), image, clock);
        this.damage = new DamageReporter(settings.console(), settings.consoleInterval(), image, clock);
        this.http = HttpClient.newBuilder()
                .sslContext(EdgeTls.context())
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.plain = new PlainHttpRanges(settings.connectTimeout());
        this.timer = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon().name("chunk-fetch-timer").factory());
        timer.setRemoveOnCancelPolicy(true);
    }

    public EdgeSet edges() {
        return edges;
    }

    public BootReport.Fetch stats() {
        return new BootReport.Fetch(requests.sum(), hedges.sum(), edgeFailures.sum(), integrityFailures.sum(), bytes.sum(),
                verifiedBytes.sum());
    }

    /**
     * Fetches {@code length} bytes at {@code offset} and returns what the verifier makes of them.
     *
     * @param spreadKey spreads ties between equally busy edges (the chunk index)
     * @param what      names the range in console messages, e.g. "chunk 17"
     * @throws ForeignImageException when every edge answered with another image's bytes
     * @throws IOException otherwise only when this fetcher is closed or the thread is interrupted
     */
    public <T> T fetch(long offset, int length, long spreadKey, String what, Verifier<T> verifier) throws IOException {
        return fetch(offset, length, spreadKey, what, null, verifier);
    }

    /**
     * {@link #fetch(long, int, long, String, Verifier)}, reading plain-HTTP answers into buffers from
     * {@code bodies} (when the range fits them) rather than into a new array each: for chunks, whose
     * 1 MiB arrays would be humongous allocations under G1 and churn under any collector. Each body goes
     * back to the pool once the verifier has run on it, so the verifier must not keep its bytes.
     */
    public <T> T fetch(long offset, int length, long spreadKey, String what, ChunkBuffers bodies, Verifier<T> verifier)
            throws IOException {
        Range range = new Range(offset, length, bodies);
        Set<Edge> failedHere = new HashSet<>();
        Map<Edge, String> foreign = new LinkedHashMap<>();
        List<Attempt> running = new ArrayList<>(2);
        BlockingQueue<Attempt> finished = new LinkedBlockingQueue<>();
        try {
            while (true) {
                checkOpen();
                if (running.isEmpty()) {
                    Edge edge = edges.claim(spreadKey, failedHere);
                    if (edge == null && !failedHere.isEmpty()) {
                        // Each edge has failed this range once; start another round with those whose backoff is over.
                        failedHere.clear();
                        // An edge that served another image would serve it again: it is not asked again.
                        failedHere.addAll(foreign.keySet());
                        edge = edges.claim(spreadKey, failedHere);
                    }
                    if (edge == null) {
                        waitForAnEdge(what);
                        continue;
                    }
                    Attempt first = start(edge, range, finished, true);
                    running.add(first);
                    if (first.onThisThread != null) {
                        runHere(first, running, failedHere, spreadKey, range, finished);
                    }
                }
                Attempt done = finished.poll(waitNanos(running), TimeUnit.NANOSECONDS);
                if (done == null) {
                    if (running.size() == 1) {
                        Attempt second = hedge(running.get(0), failedHere, spreadKey, range, finished);
                        if (second != null) {
                            running.add(second);
                        }
                    }
                    continue;
                }
                running.remove(done);
                if (done.lostToHedge()) {
                    continue;
                }
                T value = settle(done, what, verifier, foreign);
                if (value != null) {
                    return value;
                }
                failedHere.add(done.edge);
                if (!foreign.isEmpty() && foreign.keySet().containsAll(edges.edges())) {
                    throw new ForeignImageException("no edge serves " + what + " of root image " + image
                            + " as the manifest pins it (" + foreign.entrySet().stream()
                                    .map(entry -> entry.getKey() + ": " + entry.getValue())
                                    .collect(Collectors.joining("; "))
                            + "); an edge that serves another image under this digest was tampered with or holds a"
                            + " wrong copy, so the boot stops rather than trust it: check those edges, delete their"
                            + " cached copy of the blob, and boot again");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + what + " of the root image", e);
        } finally {
            for (Attempt attempt : running) {
                attempt.future.cancel(true);
                // An answer that came before the cancellation is nobody's now.
                attempt.future.thenAccept(RangeBody::release);
            }
        }
    }

    private long waitNanos(List<Attempt> running) {
        if (running.size() == 1 && !running.get(0).hedged) {
            long elapsed = clock.getAsLong() - running.get(0).startNanos;
            return Math.max(0, Math.min(POLL_NANOS, hedge.delayNanos() - elapsed));
        }
        return POLL_NANOS;
    }

    /**
     * Runs {@code first} on this thread, which would only wait for it otherwise: handed to a virtual thread and waited
     * for, a 64 KiB range from an edge took 800-860 us where the same exchange on the calling thread took 667 (one
     * 1 Gbit link, 2026-12-04); the data-plane bench's random 4K reads went up 2-7% with it, and the boot storm's CPU
     * per node down (see {@link RemoteRootImage#MIN_SPLIT_BYTES}). Meanwhile the timer starts the hedge when the
     * hedge delay has passed, and the hedge's answer, if it comes first, aborts this one.
     */
    private void runHere(Attempt first, List<Attempt> running, Set<Edge> failedHere, long spreadKey, Range range,
                         BlockingQueue<Attempt> finished) {
        Set<Edge> failedBefore = Set.copyOf(failedHere);
        TimerHedge timerHedge = new TimerHedge();
        var due = timer.schedule(() -> timerHedge.start(() -> {
            Attempt second = hedge(first, failedBefore, spreadKey, range, finished);
            if (second != null) {
                // Too late once the first has an answer: then it is not cancelled.
                second.future.thenRun(() -> first.future.cancel(true));
            }
            return second;
        }), hedge.delayNanos(), TimeUnit.NANOSECONDS);
        try {
            first.onThisThread.run();
        } finally {
            due.cancel(false);
            Attempt second = timerHedge.close();
            if (second != null) {
                running.add(second);
            }
        }
    }

    /**
     * Starts a second attempt at the range on another edge when {@code first} has waited the hedge delay, has not
     * been hedged yet, and the budget and an edge allow it; null otherwise.
     */
    private Attempt hedge(Attempt first, Set<Edge> failedHere, long spreadKey, Range range,
                          BlockingQueue<Attempt> finished) {
        if (first.hedged || !hedge.shouldHedge(clock.getAsLong() - first.startNanos)) {
            return null;
        }
        first.hedged = true;
        // Only an edge that usually answers within the hedge delay can win the race; when every edge is that
        // slow (a storm), a hedge would only add load.
        long delay = hedge.delayNanos();
        Set<Edge> busy = new HashSet<>(failedHere);
        busy.add(first.edge);
        for (Edge edge : edges.edges()) {
            if (edges.slowerThan(edge, delay)) {
                busy.add(edge);
            }
        }
        Edge other = edges.claim(spreadKey + 1, busy);
        if (other == null) {
            return null;
        }
        if (!hedge.spend()) {
            other.finished();
            return null;
        }
        hedges.increment();
        Attempt second = start(other, range, finished, false);
        second.hedged = true;
        return second;
    }

    /** The verified value, or null after recording why this attempt's edge failed (in {@code foreign}, if so). */
    private <T> T settle(Attempt done, String what, Verifier<T> verifier, Map<Edge, String> foreign) {
        RangeBody body;
        try {
            body = done.future.get();
        } catch (ExecutionException | CompletionException | CancellationException e) {
            edgeFailures.increment();
            edges.failed(done.edge, problem(done, e));
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        try {
            T value = verifier.verify(body);
            long latency = clock.getAsLong() - done.startNanos;
            hedge.record(latency);
            edges.succeeded(done.edge, latency);
            outages.served(done.edge);
            verifiedBytes.add(body.bytes().limit());
            return value;
        } catch (ForeignImageException e) {
            integrityFailures.increment();
            foreign.put(done.edge, e.getMessage());
            edges.failed(done.edge, "served another image");
            settings.console().message(done.edge + " answered for " + what + " of root image " + image
                    + " with another image's: " + e.getMessage() + "; not asking it again");
            return null;
        } catch (ImageFormatException e) {
            integrityFailures.increment();
            // A run of chunks is verified chunk by chunk: name the one that failed, so that an administrator can
            // find the damage on the edge.
            String damaged = e instanceof ChunkIntegrityException bad && !what.equals("chunk " + bad.chunkIndex())
                    ? "chunk " + bad.chunkIndex() + " (of " + what + ")" : what;
            edges.failed(done.edge, "sent a damaged copy of " + damaged);
            damage.damaged(damaged, done.edge, edges.edges().size() > 1);
            return null;
        } finally {
            body.release();
        }
    }

    private String problem(Attempt attempt, Throwable e) {
        if (attempt.timedOut) {
            return "no answer within " + settings.requestTimeout().toMillis() + " ms";
        }
        Throwable cause = e;
        while ((cause instanceof ExecutionException || cause instanceof CompletionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof ConnectException) {
            return "connection refused";
        }
        if (cause instanceof HttpTimeoutException) {
            return "timed out";
        }
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
    }

    /**
     * Sends the request to {@code edge}, which {@link EdgeSet#claim} counted it on.
     *
     * @param onThisThread whether a plain-HTTP exchange is left for the caller to run ({@link Attempt#onThisThread})
     */
    private Attempt start(Edge edge, Range range, BlockingQueue<Attempt> finished, boolean onThisThread) {
        URI blob = edge.blob(hex);
        requests.increment();
        hedge.requested();
        CompletableFuture<RangeBody> future;
        Runnable exchangeHere = null;
        try {
            if (PlainHttpRanges.handles(blob)) {
                var exchange = plain.exchange(blob, range.offset, range.length, range.bodies);
                future = exchange.result();
                if (onThisThread) {
                    exchangeHere = exchange;
                } else {
                    plain.start(exchange);
                }
            } else {
                future = sendThroughJdkClient(blob, range.offset, range.length);
            }
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        Attempt attempt = new Attempt(edge, clock.getAsLong(), future, exchangeHere);
        var stall = timer.schedule(() -> {
            attempt.timedOut = true;
            attempt.future.cancel(true);
        }, settings.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
        future.whenComplete((response, error) -> {
            if (response != null) {
                // Every answer that arrived whole, whether it won, lost a hedge or failed verification.
                bytes.add(response.bytes().limit());
            }
            stall.cancel(false);
            edge.finished();
            finished.add(attempt);
        });
        return attempt;
    }

    private CompletableFuture<RangeBody> sendThroughJdkClient(URI blob, long offset, int length) {
        HttpRequest request = HttpRequest.newBuilder(blob)
                .header("Range", "bytes=" + offset + "-" + (offset + length - 1))
                .timeout(settings.requestTimeout())
                .GET()
                .build();
        CompletableFuture<HttpResponse<RangeBody>> exchange = http.sendAsync(request, new RangeBodyHandler(offset, length));
        CompletableFuture<RangeBody> body = exchange.thenApply(HttpResponse::body);
        body.whenComplete((value, error) -> {
            if (body.isCancelled()) {
                exchange.cancel(true);
            }
        });
        return body;
    }

    private void waitForAnEdge(String what) throws InterruptedException {
        long pause = Math.clamp(edges.nanosUntilNextAvailable(), TimeUnit.MILLISECONDS.toNanos(10), POLL_NANOS);
        outages.waiting(what, edges.describe(), pause);
        TimeUnit.NANOSECONDS.sleep(pause);
    }

    private void checkOpen() throws IOException {
        if (closed) {
            throw new IOException("the root image reader is closed");
        }
    }

    /** Deadlines and hedges the timer still waits for: those of requests under way. */
    int timersWaiting() {
        return timer.getQueue().size();
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        plain.close();
        http.shutdownNow();
    }

    /** What one fetch asks for, and where plain-HTTP answers may be read into (null: the heap). */
    private record Range(long offset, int length, ChunkBuffers bodies) {
    }

    private static final class Attempt {
        final Edge edge;
        final long startNanos;
        final CompletableFuture<RangeBody> future;
        /** The exchange the caller runs on its own thread, or null when it runs elsewhere. */
        final Runnable onThisThread;
        volatile boolean timedOut;
        /** Set by the caller, or by the timer while the caller runs the exchange. */
        volatile boolean hedged;

        Attempt(Edge edge, long startNanos, CompletableFuture<RangeBody> future, Runnable onThisThread) {
            this.edge = edge;
            this.startNanos = startNanos;
            this.future = future;
            this.onThisThread = onThisThread;
        }

        /** Cancelled by its hedge's answer: it was slower, not failed (a stall sets {@link #timedOut} first). */
        boolean lostToHedge() {
            return future.isCancelled() && !timedOut;
        }
    }

    /** The hedge the timer starts while the caller runs a first attempt; none once the caller is done with it. */
    private static final class TimerHedge {
        private boolean closed;
        private Attempt started;

        synchronized void start(Supplier<Attempt> hedge) {
            if (!closed) {
                started = hedge.get();
            }
        }

        /** The hedge started, or null; after this the timer starts none. */
        synchronized Attempt close() {
            closed = true;
            return started;
        }
    }
}
