package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.ImageFormatException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
    private ChunkFetcher fetcher(java.util.function.LongSupplier edgeClock, Duration consoleInterval, URI... edges) {
        // A long first hedge delay: the first request of a JVM loads the HTTP client and must not be hedged.
        FetchSettings settings = FetchSettings.defaults()
                .withHedge(Duration.ofSeconds(2), Duration.ofMillis(10), Duration.ofSeconds(2))
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(5))
                .withBackoff(new Backoff(Duration.ofMillis(100), Duration.ofMillis(400)))
                .withConsoleInterval(consoleInterval)
                .withConsole(console::add);
        ChunkFetcher fetcher = new ChunkFetcher(new EdgeSet(List.of(edges), settings.backoff(), edgeClock), DIGEST, settings);
        closeables.add(fetcher);
        return fetcher;
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
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (bodies.free() < bodies.allocated() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(bodies.free()).as("every body taken was given back").isEqualTo((int) bodies.allocated());
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
                .startsWith("chunk 0 of root image " + DIGEST.substring(0, 19) + "... from " + bad.url() + " failed verification")
                .endsWith("; reading it from another edge");
    }

    @Test
    void aBadlyBrokenEdgeGetsOneConsoleLinePerIntervalAndTheNextCountsTheOnesLeftOut() throws Exception {
        FakeEdge bad = edge(FakeEdge.Behaviour.DAMAGED);
        FakeEdge good = edge(FakeEdge.Behaviour.GOOD);
        // A console interval long enough for three damaged copies (backoffs of 100 and 200 ms) on a loaded machine.
        ChunkFetcher fetcher = fetcher(Duration.ofSeconds(5), bad.url(), good.url());
        long beforeFirstLine = System.nanoTime();
        fetcher.fetch(0, 1024, 0, "chunk 0", expecting(0, 1024));
        long afterFirstLine = System.nanoTime();

        // The bad edge is asked again whenever its backoff (100, 200 ms) is over: three damaged copies in all.
        for (int i = 1; bad.requests.get() < 3; i++) {
            fetcher.fetch(i * 1024, 1024, i, "chunk " + i, expecting(i * 1024, 1024));
            Thread.sleep(10);
        }
        assertThat(System.nanoTime() - beforeFirstLine).as("still within the interval").isLessThan(TimeUnit.SECONDS.toNanos(5));
        assertThat(console).singleElement().asString().startsWith("chunk 0 of root image ");

        Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(afterFirstLine + TimeUnit.SECONDS.toNanos(5) - System.nanoTime())));
        for (int i = 100; console.size() < 2; i++) {
            fetcher.fetch(i * 64, 64, i, "chunk " + i, expecting(i * 64, 64));
            Thread.sleep(10);
        }
        assertThat(console.getLast()).contains(" from " + bad.url() + " failed verification")
                .endsWith("(2 more damaged from this edge since the last such line)");
        assertThat(fetcher.stats().integrityFailures()).isEqualTo(4);
    }

    @Test
    void withOneEdgeADamagedRangeIsReadAgainFromIt() throws Exception {
        FakeEdge bad = edge(FakeEdge.Behaviour.DAMAGED);
        ChunkFetcher fetcher = fetcher(bad.url());

        CompletableFuture<byte[]> read = readInBackground(fetcher, 1024);
        Thread.sleep(500);
        fetcher.close();

        assertThat(console.getFirst()).startsWith("chunk 0 of root image ").endsWith("; reading it again");
        assertThat(read).failsWithin(5, TimeUnit.SECONDS);
    }

    @Test
    void aSlowEdgeIsHedgedAndTheFastAnswerWins() throws Exception {
        FakeEdge slow = edge(FakeEdge.Behaviour.SLOW);
        FakeEdge fast = edge(FakeEdge.Behaviour.GOOD);
        ChunkFetcher fetcher = fetcher(slow.url(), fast.url());
        fetcher.fetch(0, 16, 1, "warm-up", expecting(0, 16));

        long start = System.nanoTime();
        byte[] got = fetcher.fetch(0, 1024, 0, "chunk 0", expecting(0, 1024));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(got).isEqualTo(Arrays.copyOf(BLOB, 1024));
        assertThat(fetcher.stats().hedges()).isEqualTo(1);
        assertThat(millis).as("answered after the 2 s hedge delay, not the 3 s stall").isBetween(1900L, 2900L);
        assertThat(fast.requests.get()).isEqualTo(2);
    }

    @Test
    void withNoEdgeServingTheReadWaitsSaysWhichEdgesWereTriedAndSucceedsWhenOneReturns() throws Exception {
        int firstPort = closedPort();
        int secondPort = closedPort();
        URI first = URI.create("http://127.0.0.1:" + firstPort);
        URI second = URI.create("http://127.0.0.1:" + secondPort);
        ChunkFetcher fetcher = fetcher(first, second);

        CompletableFuture<byte[]> read = readInBackground(fetcher, 2048);
        Thread.sleep(1500);
        assertThat(read).as("the read waits instead of failing").isNotDone();
        assertThat(console).isNotEmpty();
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
