package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.awaitility.Awaitility.await;

import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.ChunkIntegrityException;
import dev.tether.image.format.ImageFormatException;
import dev.tether.nodeapi.BootReport;
import java.lang.ref.WeakReference;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ChunkFetcherTest {
    private static final byte[] BLOB = new byte[64 * 1024];
    private static final String DIGEST;

    static {
        new Random(7).nextBytes(BLOB);
        DIGEST = ContentDigest.of(BLOB);
    }

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<String> console = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private FakeEdge edge(FakeEdge.Behaviour behaviour) throws Exception {
        return edge(behaviour, 0);
    }

    private FakeEdge edge(FakeEdge.Behaviour behaviour, int port) throws Exception {
        FakeEdge edge = new FakeEdge(BLOB, behaviour, port);
        closeables.add(edge);
        return edge;
    }

    private ChunkFetcher fetcher(URI... edges) {
        return fetcher(Duration.ofMillis(200), edges);
    }

    private ChunkFetcher fetcher(Duration consoleInterval, URI... edges) {
        return fetcher(System::nanoTime, consoleInterval, edges);
    }

    /** @param edgeClock the clock the edge set judges backoffs by (a frozen one keeps a failed edge set aside) */
    private ChunkFetcher fetcher(LongSupplier clock, Duration consoleInterval, URI... edges) {
        return fetcher(clock, consoleInterval, UnaryOperator.identity(), edges);
    }

    /**
     * @param clock   the clock the fetcher and its edge set judge hedge delays, backoffs and console intervals by (one
     *                that stands still keeps a failed edge set aside and never hedges)
     * @param adjust  changes to the test's settings
     */
    private ChunkFetcher fetcher(LongSupplier clock, Duration consoleInterval, UnaryOperator<FetchSettings> adjust,
            URI... edges) {
        // A long first hedge delay: the first request of a JVM loads the HTTP client and must not be hedged.
        FetchSettings settings = adjust.apply(FetchSettings.defaults()
                .withHedge(Duration.ofSeconds(2), Duration.ofMillis(10), Duration.ofSeconds(2))
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(5))
                .withBackoff(new Backoff(Duration.ofMillis(100), Duration.ofMillis(400)))
                .withConsoleInterval(consoleInterval)
                .withConsole(console::add));
        ChunkFetcher fetcher = new ChunkFetcher(new EdgeSet(List.of(edges), settings.backoff(), clock), DIGEST, settings);
        closeables.add(fetcher);
        return fetcher;
    }

    /** A fetcher whose hedge delay is fixed at {@code hedgeDelay}. */
    private ChunkFetcher fetcherWith(Duration hedgeDelay, Duration requestTimeout, URI... edges) {
        return fetcher(System::nanoTime, Duration.ofMillis(200), settings -> settings
                .withHedge(hedgeDelay, hedgeDelay, hedgeDelay)
                .withTimeouts(Duration.ofSeconds(1), requestTimeout), edges);
    }

    /**
     * Reads the blob's first KiB, whose first attempt (on this thread) goes to an edge that stalls for 30 s: something
     * must end that attempt well before, or this fails.
     */
    private static void readTheFirstKiBPastTheStall(ChunkFetcher fetcher) {
        byte[] got = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> fetcher.fetch(0, 1024, 0, "chunk 0", expecting(0, 1024)));
        assertThat(got).isEqualTo(Arrays.copyOf(BLOB, 1024));
    }

    /** The verifier a chunk gets, here: the bytes must be the blob's. */
    private static ChunkFetcher.Verifier<byte[]> expecting(int offset, int length) {
        return body -> {
            byte[] bytes = new byte[body.bytes().remaining()];
            body.bytes().get(bytes);
            if (!Arrays.equals(bytes, Arrays.copyOfRange(BLOB, offset, offset + length))) {
                throw new ImageFormatException("damaged");
            }
            return bytes;
        };
    }

    @ParameterizedTest
    @EnumSource(value = FakeEdge.Behaviour.class, names = {"WHOLE_BLOB", "WRONG_RANGE", "SHORT_BODY"})
    void aWrongAnswerIsTheEdgesFailureAndTheRangeComesFromAnother(FakeEdge.Behaviour behaviour) throws Exception {
        FakeEdge bad = edge(behaviour);
        FakeEdge good = edge(FakeEdge.Behaviour.GOOD);
        ChunkFetcher fetcher = fetcher(bad.url(), good.url());

        byte[] got = fetcher.fetch(1000, 4096, 0, "chunk 0", expecting(1000, 4096));

        assertThat(got).isEqualTo(Arrays.copyOfRange(BLOB, 1000, 5096));
        assertThat(bad.requests.get()).as("the bad edge was asked first").isEqualTo(1);
        assertThat(fetcher.stats().edgeFailures()).isEqualTo(1);
        assertThat(fetcher.stats().integrityFailures()).isZero();
        assertThat(fetcher.edges().isSetAside(fetcher.edges().edges().get(0))).isTrue();
    }

    @ParameterizedTest
    @EnumSource(value = FakeEdge.Behaviour.class, names = {"GOOD", "WHOLE_BLOB", "SHORT_BODY", "DAMAGED"})
    void pooledBodiesGoBackToThePoolWhateverTheEdgeAnswered(FakeEdge.Behaviour behaviour) throws Exception {
        FakeEdge first = edge(behaviour);
        FakeEdge good = edge(FakeEdge.Behaviour.GOOD);
        ChunkFetcher fetcher = fetcher(first.url(), good.url());
        ChunkBuffers bodies = new ChunkBuffers(4096, 16);

        for (int i = 0; i < 8; i++) {
            int offset = i * 4096 + 7;
            int length = i == 7 ? 1000 : 4096;
            byte[] got = fetcher.fetch(offset, length, i, "chunk " + i, bodies, body -> {
                assertThat(body.bytes().isDirect()).isTrue();
                return expecting(offset, length).verify(body);
            });
            assertThat(got).isEqualTo(Arrays.copyOfRange(BLOB, offset, offset + length));
        }

        assertThat(first.requests.get()).as("the first edge was asked").isPositive();
        assertThat(bodies.allocated()).isPositive();
        // A hedge that lost, or an answer read after the fetch settled, gives its body back on its own thread.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(bodies.free()).as("every body taken was given back").isEqualTo((int) bodies.allocated()));
    }

    @Test
    void damagedBytesAreFetchedAgainFromAnotherEdgeAndTheSenderIsSetAside() throws Exception {
        FakeEdge bad = edge(FakeEdge.Behaviour.DAMAGED);
        FakeEdge good = edge(FakeEdge.Behaviour.GOOD);
        // The edges' clock stands still, so the bad edge's 100 ms backoff cannot run out before it is checked
        // on a loaded machine.
        ChunkFetcher fetcher = fetcher(() -> 0L, Duration.ofMillis(200), bad.url(), good.url());

        byte[] got = fetcher.fetch(0, 8192, 0, "chunk 0", expecting(0, 8192));

        assertThat(got).isEqualTo(Arrays.copyOf(BLOB, 8192));
        assertThat(fetcher.stats().integrityFailures()).isEqualTo(1);
        assertThat(fetcher.edges().isSetAside(fetcher.edges().edges().get(0))).isTrue();
        assertThat(fetcher.edges().describe()).contains(bad.url() + " (sent a damaged copy of chunk 0)");
        assertThat(console).singleElement().asString()
                .startsWith("chunk 0 of root image " + DIGEST.substring(7, 19) + " from " + bad.url() + " failed verification")
                .endsWith("; reading it from another edge");
    }

    /** A run of chunks fetched with one request is verified chunk by chunk: the console names the one that failed. */
    @Test
    void theConsoleNamesTheDamagedChunkOfARun() throws Exception {
        FakeEdge bad = edge(FakeEdge.Behaviour.DAMAGED);
        FakeEdge good = edge(FakeEdge.Behaviour.GOOD);
        ChunkFetcher fetcher = fetcher(() -> 0L, Duration.ofMillis(200), bad.url(), good.url());
        ChunkFetcher.Verifier<byte[]> expecting = expecting(0, 8192);

        fetcher.fetch(0, 8192, 0, "chunks 4 to 7", body -> {
            try {
                return expecting.verify(body);
            } catch (ImageFormatException e) {
                throw new ChunkIntegrityException(6, "tag mismatch");
            }
        });

        assertThat(console).singleElement().asString()
                .startsWith("chunk 6 (of chunks 4 to 7) of root image " + DIGEST.substring(7, 19) + " from " + bad.url()
                        + " failed verification");
        assertThat(fetcher.edges().describe()).contains(bad.url() + " (sent a damaged copy of chunk 6 (of chunks 4 to 7))");
    }

    @Test
    void aBadlyBrokenEdgeGetsOneConsoleLinePerIntervalAndTheNextCountsTheOnesLeftOut() throws Exception {
        FakeEdge bad = edge(FakeEdge.Behaviour.DAMAGED);
        FakeEdge good = edge(FakeEdge.Behaviour.GOOD);
        // Time is the test's: backoffs (100, 200, 400 ms) and the 5 s console interval pass only when it says so.
        AtomicLong now = new AtomicLong();
        ChunkFetcher fetcher = fetcher(now::get, Duration.ofSeconds(5), bad.url(), good.url());
        // Key 0: with nothing in flight the bad edge, listed first, is asked first whenever it is not set aside.
        fetcher.fetch(0, 1024, 0, "chunk 0", expecting(0, 1024));
        assertThat(console).singleElement().asString().startsWith("chunk 0 of root image ");

        fetcher.fetch(1024, 1024, 0, "chunk 1", expecting(1024, 1024));
        assertThat(bad.requests.get()).as("set aside for 100 ms: not asked").isEqualTo(1);
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(150));
        fetcher.fetch(2048, 1024, 0, "chunk 2", expecting(2048, 1024));
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(250));
        fetcher.fetch(3072, 1024, 0, "chunk 3", expecting(3072, 1024));
        assertThat(bad.requests.get()).as("asked again after each backoff").isEqualTo(3);
        assertThat(console).as("two more damaged copies within the interval: no line").hasSize(1);

        now.addAndGet(TimeUnit.SECONDS.toNanos(5));
        fetcher.fetch(4096, 64, 0, "chunk 4", expecting(4096, 64));
        assertThat(console).hasSize(2);
        assertThat(console.getLast()).startsWith("chunk 4 of root image ")
                .contains(" from " + bad.url() + " failed verification")
                .endsWith("(2 more damaged from this edge since the last such line)");
        assertThat(fetcher.stats().integrityFailures()).isEqualTo(4);
    }

    @Test
    void withOneEdgeADamagedRangeIsReadAgainFromIt() throws Exception {
        FakeEdge bad = edge(FakeEdge.Behaviour.DAMAGED);
        ChunkFetcher fetcher = fetcher(bad.url());

        CompletableFuture<byte[]> read = readInBackground(fetcher, 1024);
        await().atMost(Duration.ofSeconds(10)).until(() -> !console.isEmpty());
        fetcher.close();

        assertThat(console.getFirst()).startsWith("chunk 0 of root image ").endsWith("; reading it again");
        assertThat(read).failsWithin(5, TimeUnit.SECONDS);
    }

    @Test
    void aSlowEdgeIsHedgedAndTheFastAnswerWins() throws Exception {
        FakeEdge slow = edge(FakeEdge.Behaviour.SLOW);
        FakeEdge fast = edge(FakeEdge.Behaviour.GOOD);
        // A stall far longer than the hedge delay and shorter than the request timeout: only a hedge answers it.
        ChunkFetcher fetcher = fetcherWith(Duration.ofMillis(100), Duration.ofSeconds(60), slow.url(), fast.url());

        // The first attempt runs on this thread: the hedge's answer must end it, not the slow edge's 30 s.
        readTheFirstKiBPastTheStall(fetcher);

        assertThat(slow.requests.get()).as("the slow edge was asked first").isEqualTo(1);
        assertThat(fast.requests.get()).isEqualTo(1);
        assertThat(fetcher.stats().hedges()).isEqualTo(1);
        assertThat(fetcher.stats().edgeFailures()).as("the hedge answered, not a retry after a timeout").isZero();
        assertThat(fetcher.edges().isSetAside(fetcher.edges().edges().get(0)))
                .as("the slow edge lost a race; it did not fail").isFalse();
    }

    @Test
    void aStalledRequestThatNoHedgeRacesEndsAtTheRequestTimeoutAndTheRangeComesFromAnotherEdge() throws Exception {
        FakeEdge stalled = edge(FakeEdge.Behaviour.SLOW);
        FakeEdge good = edge(FakeEdge.Behaviour.GOOD);
        // No hedge within the test: only the request timeout can end the stalled first attempt, blocked on this thread.
        ChunkFetcher fetcher = fetcherWith(Duration.ofSeconds(60), Duration.ofMillis(300), stalled.url(), good.url());

        readTheFirstKiBPastTheStall(fetcher);

        assertThat(stalled.requests.get()).as("the stalled edge was asked first").isEqualTo(1);
        assertThat(fetcher.stats().hedges()).isZero();
        assertThat(fetcher.stats().edgeFailures()).isEqualTo(1);
        assertThat(fetcher.edges().describe()).contains("no answer within 300 ms");
    }

    /**
     * A body the verifier is done with is garbage at once, not held until its request's timeout would have fired: an
     * untethered download reads 4 MiB ranges onto the heap, dozens a second, and a timer holding each for the request
     * timeout (15 s by default) would hold gigabytes, where its agent's heap is 192 MiB.
     */
    @Test
    void aFetchedBodyIsNotKeptAliveByItsRequestsTimers() throws Exception {
        FakeEdge good = edge(FakeEdge.Behaviour.GOOD);
        ChunkFetcher fetcher = fetcher(System::nanoTime, Duration.ofMillis(200),
                settings -> settings.withTimeouts(Duration.ofSeconds(1), Duration.ofMinutes(10)), good.url());
        List<WeakReference<ByteBuffer>> bodies = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int offset = i * 4096;
            fetcher.fetch(offset, 4096, i, "chunk " + i, body -> {
                bodies.add(new WeakReference<>(body.bytes()));
                return expecting(offset, 4096).verify(body);
            });
        }

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            System.gc();
            assertThat(bodies).as("bodies still reachable").allMatch(body -> body.get() == null);
        });
    }

    /**
     * A request's stall deadline and its hedge are cancelled when it is answered; they must leave the timer then, not
     * when due (a minute later here), or its thread wakes once for each request the node ever made.
     */
    @Test
    void answeredRequestsLeaveNoDeadlineOrHedgeWaitingOnTheTimer() throws Exception {
        FakeEdge first = edge(FakeEdge.Behaviour.GOOD);
        FakeEdge second = edge(FakeEdge.Behaviour.GOOD);
        ChunkFetcher fetcher = fetcherWith(Duration.ofSeconds(30), Duration.ofMinutes(1), first.url(), second.url());
        for (int i = 0; i < 50; i++) {
            int offset = i % 16 * 4096;
            fetcher.fetch(offset, 4096, i, "chunk " + i, expecting(offset, 4096));
        }

        assertThat(first.requests.get() + second.requests.get()).isEqualTo(50);
        // The deadline leaves as its request's answer is handed on, which may be a moment after the fetch returned.
        await().atMost(Duration.ofSeconds(10)).until(fetcher::timersWaiting, waiting -> waiting == 0);
    }

    @Test
    void whenEveryEdgeIsSlowHedgesStayWithinTheirBudgetInsteadOfDoublingTheLoad() throws Exception {
        FakeEdge a = edge(FakeEdge.Behaviour.GOOD);
        FakeEdge b = edge(FakeEdge.Behaviour.GOOD);
        FakeEdge c = edge(FakeEdge.Behaviour.GOOD);
        // The hedge delay is fixed at 20 ms, so in the storm below every request waits longer than it.
        ChunkFetcher fetcher = fetcher(System::nanoTime, Duration.ofMillis(200),
                settings -> settings.withHedge(Duration.ofMillis(20), Duration.ofMillis(20), Duration.ofMillis(20))
                        .withHedgeBudget(0.1),
                a.url(), b.url(), c.url());
        for (int i = 0; i < 10; i++) {
            fetcher.fetch(i * 1024, 1024, i, "chunk " + i, expecting(i * 1024, 1024));
        }
        BootReport.Fetch calm = fetcher.stats();

        for (FakeEdge edge : List.of(a, b, c)) {
            edge.latency(150);
        }
        int storm = 30;
        for (int i = 10; i < 10 + storm; i++) {
            fetcher.fetch(i * 1024, 1024, i, "chunk " + i, expecting(i * 1024, 1024));
        }
        long stormRequests = fetcher.stats().requests() - calm.requests();
        long stormHedges = fetcher.stats().hedges() - calm.hedges();

        // Unbounded, each of the 30 would have been hedged: 60 requests. The budget allows its reserve of 4 plus a
        // tenth of the requests sent, and an edge known to answer slower than the delay is not raced at all.
        assertThat(stormHedges).isLessThanOrEqualTo((long) HedgePolicy.RESERVE + stormRequests / 10);
        assertThat(stormRequests).isLessThanOrEqualTo(storm + storm / 4);
    }

    @Test
    void withNoEdgeServingTheReadWaitsSaysWhichEdgesWereTriedAndSucceedsWhenOneReturns() throws Exception {
        int firstPort = closedPort();
        int secondPort = closedPort();
        URI first = URI.create("http://127.0.0.1:" + firstPort);
        URI second = URI.create("http://127.0.0.1:" + secondPort);
        ChunkFetcher fetcher = fetcher(first, second);

        CompletableFuture<byte[]> read = readInBackground(fetcher, 2048);
        await().atMost(Duration.ofSeconds(10)).until(() -> !console.isEmpty());
        assertThat(read).as("the read waits instead of failing").isNotDone();
        assertThat(console.getFirst()).contains("no edge can serve it").contains(first + " (connection refused)")
                .contains(second + " (connection refused)");

        edge(FakeEdge.Behaviour.GOOD, secondPort);
        assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo(Arrays.copyOf(BLOB, 2048));
        assertThat(console.getLast()).contains("reads resumed from " + second);
    }

    /** Chunk 0, the first {@code length} bytes, read on a virtual thread. */
    private static CompletableFuture<byte[]> readInBackground(ChunkFetcher fetcher, int length) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return fetcher.fetch(0, length, 0, "chunk 0", expecting(0, length));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, Executors.newVirtualThreadPerTaskExecutor());
    }

    /** A loopback port nothing listens on: connections to it are refused. */
    private static int closedPort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void requestsOfEqualWeightAreSpreadOverAllEdges() throws Exception {
        FakeEdge a = edge(FakeEdge.Behaviour.GOOD);
        FakeEdge b = edge(FakeEdge.Behaviour.GOOD);
        FakeEdge c = edge(FakeEdge.Behaviour.GOOD);
        ChunkFetcher fetcher = fetcher(a.url(), b.url(), c.url());
        for (int i = 0; i < 30; i++) {
            fetcher.fetch(i * 1024, 1024, i, "chunk " + i, expecting(i * 1024, 1024));
        }
        assertThat(List.of(a.requests.get(), b.requests.get(), c.requests.get())).containsExactly(10, 10, 10);
    }
}
