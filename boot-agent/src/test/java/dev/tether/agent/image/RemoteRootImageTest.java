package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.image.format.ImageHeader;
import dev.tether.nodeapi.BootReport;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tethered reader against three real edges in this JVM, without FUSE (so without root): whatever the
 * edges do, every byte read equals the squashfs that was packed.
 */
class RemoteRootImageTest {
    private static TestImage image;
    private static byte[] expected;

    @TempDir
    Path dir;
    private TestEdges edges;
    private final List<String> console = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void buildImage() throws Exception {
        Tools.assumeMksquashfs();
        image = TestImage.shared();
        expected = Files.readAllBytes(image.squashfs);
    }

    @BeforeEach
    void startEdges() throws Exception {
        edges = TestEdges.start(dir, image.container, 3);
    }

    @AfterEach
    void stopEdges() {
        edges.close();
    }

    private RemoteRootImage open(long cacheBytes) throws IOException {
        // The production timeouts: on a busy machine a cold edge filling from the origin took longer than a 3 s request
        // timeout, which counted an edge failure the reads did not have. The edges here fail by dying, not by stalling.
        FetchSettings fetch = FetchSettings.defaults()
                .withBackoff(new Backoff(Duration.ofMillis(100), Duration.ofMillis(500)))
                .withConsoleInterval(Duration.ofMillis(500))
                .withConsole(console::add);
        return RemoteRootImage.open(edges.urls(), image.digest, image.key,
                new TetheredSettings(cacheBytes, 2L << 20, fetch));
    }

    /** Reads [from, to) in pieces of varying size, as the kernel would, and returns what came back. */
    private static void readRange(RemoteRootImage remote, byte[] into, int from, int to, long seed) throws IOException {
        Random random = new Random(seed);
        int position = from;
        while (position < to) {
            int length = Math.min(to - position, 1 + random.nextInt(300_000));
            ByteBuffer buffer = ByteBuffer.wrap(into, position, length);
            int n = remote.read(position, buffer);
            assertThat(n).isPositive();
            position += n;
        }
    }

    @Test
    void everyByteReadEqualsTheSquashfs() throws IOException {
        try (RemoteRootImage remote = open(4L << 20)) {
            assertThat(remote.size()).isEqualTo(expected.length);
            byte[] got = new byte[expected.length];
            readRange(remote, got, 0, got.length, 1);
            assertThat(got).isEqualTo(expected);
            assertThat(remote.read(expected.length, ByteBuffer.allocate(10))).isEqualTo(-1);

            Random random = new Random(2);
            for (int i = 0; i < 200; i++) {
                int position = random.nextInt(expected.length - 4096);
                ByteBuffer small = ByteBuffer.allocate(4096);
                remote.read(position, small);
                assertThat(small.array()).isEqualTo(java.util.Arrays.copyOfRange(expected, position, position + 4096));
            }
            BootReport.Fetch stats = remote.fetcher().stats();
            assertThat(stats.edgeFailures()).as(() -> "edges: " + remote.fetcher().edges().describe()
                    + "\nconsole: " + String.join("\n", console)).isZero();
            assertThat(stats.integrityFailures()).isZero();
        }
    }

    @Test
    void theChunksOfOneReadComeWithOneRequestPerEdgeAndEachIsVerified() throws IOException {
        try (RemoteRootImage remote = open(4L << 20)) {
            BootReport.Fetch opened = remote.stats();
            int chunk = image.header.chunkSize();
            ByteBuffer read = ByteBuffer.allocate(4 * chunk);

            remote.read(8L * chunk, read);

            assertThat(read.array()).isEqualTo(java.util.Arrays.copyOfRange(expected, 8 * chunk, 12 * chunk));
            BootReport.Fetch stats = remote.stats();
            assertThat(stats.requests() - stats.hedges() - opened.requests())
                    .as("4 chunks over 3 edges: 2 requests of 2 chunks each").isEqualTo(2);
            assertThat(stats.usefulBytes() - opened.usefulBytes()).isEqualTo(4L * image.header.sealedChunkSize());
            assertThat(remote.cache().loads()).isEqualTo(4);
        }
    }

    /**
     * Every FUSE thread and more reading at once, each read split over the three edges: more of the reads' other runs
     * than {@link RemoteRootImage#READ_RUN_THREADS} are under way, and the ones beyond go to virtual threads. Every
     * read returns its bytes.
     */
    @Test
    void moreSplitReadsAtOnceThanReadRunThreadsEachReturnTheirBytes() throws Exception {
        try (RemoteRootImage remote = open(1L << 20)) {
            readConcurrently(remote, RemoteRootImage.READ_RUN_THREADS + 4);
            assertThat(remote.fetcher().stats().integrityFailures()).isZero();
        }
    }

    /**
     * An attacker's edge, or a wedged one, that takes every request and never answers, while more split reads are under
     * way than {@link RemoteRootImage#READ_RUN_THREADS}: the runs it holds keep their threads until a hedge wins or
     * the request times out, the runs beyond go to virtual threads, and every read returns its bytes from the others.
     */
    @Test
    void anEdgeThatNeverAnswersHoldsNoReadForGoodWhileTheReadRunThreadsAreBusy() throws Exception {
        try (FakeEdge silent = new FakeEdge(Files.readAllBytes(image.container), FakeEdge.Behaviour.SLOW, 0)) {
            FetchSettings fetch = FetchSettings.defaults()
                    .withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(2))
                    .withBackoff(new Backoff(Duration.ofMillis(100), Duration.ofMillis(500)))
                    .withConsoleInterval(Duration.ofMillis(500))
                    .withConsole(console::add);
            List<URI> urls = List.of(silent.url(), edges.urls().get(0), edges.urls().get(1));
            try (RemoteRootImage remote = RemoteRootImage.open(urls, image.digest, image.key,
                    new TetheredSettings(1L << 20, 2L << 20, fetch))) {
                readConcurrently(remote, RemoteRootImage.READ_RUN_THREADS + 4);
                assertThat(silent.requests.get()).as("the silent edge was asked").isPositive();
                assertThat(remote.fetcher().stats().integrityFailures()).isZero();
            }
        }
    }

    /** {@code readers} threads at once, each reading ten random ranges of 16 chunks and checking their bytes. */
    private static void readConcurrently(RemoteRootImage remote, int readers) throws Exception {
        int length = 16 * image.header.chunkSize();
        // Not closed with try-with-resources, which would wait for a read stuck for good: shut down at the end.
        var threads = Executors.newFixedThreadPool(readers);
        try {
            var start = new CountDownLatch(1);
            List<CompletableFuture<Void>> reads = new ArrayList<>();
            for (int r = 0; r < readers; r++) {
                Random random = new Random(100 + r);
                reads.add(CompletableFuture.runAsync(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < 10; i++) {
                            int position = random.nextInt(expected.length - length);
                            ByteBuffer got = ByteBuffer.allocate(length);
                            remote.read(position, got);
                            assertThat(got.array()).isEqualTo(Arrays.copyOfRange(expected, position, position + length));
                        }
                    } catch (IOException | InterruptedException e) {
                        throw new CompletionException(e);
                    }
                }, threads));
            }
            start.countDown();
            CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).get(1, TimeUnit.MINUTES);
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * With the default 16 KiB chunks a small read is one request, not one per edge of a chunk each; a larger one is
     * still spread over the edges, in runs of equal length of {@link RemoteRootImage#MIN_SPLIT_BYTES} or more.
     */
    @Test
    void smallChunksOfOneReadAreNotSplitFinerThanTheMinimum(@TempDir Path smallDir) throws Exception {
        TestImage small = TestImage.build(smallDir, 40, ImageHeader.DEFAULT_CHUNK_SIZE);
        byte[] plain = Files.readAllBytes(small.squashfs);
        int chunk = small.header.chunkSize();
        assertThat(chunk).isEqualTo(16 << 10);
        try (TestEdges smallEdges = TestEdges.start(smallDir, small.container, 3);
             RemoteRootImage remote = RemoteRootImage.open(smallEdges.urls(), small.digest, small.key,
                     new TetheredSettings(4L << 20, 0, FetchSettings.defaults()))) {
            assertThat(requestsToRead(remote, plain, 4, 3)).as("3 chunks, 48 KiB: one request").isEqualTo(1);
            assertThat(requestsToRead(remote, plain, 8, 4)).as("4 chunks, 64 KiB: two runs of 32 KiB").isEqualTo(2);
            assertThat(requestsToRead(remote, plain, 20, 12))
                    .as("12 chunks, 192 KiB: a run of 64 KiB from each of the 3 edges").isEqualTo(3);
            // What the kernel asks for one uncompressed squashfs block (128 KiB not aligned to a chunk): nine chunks.
            assertThat(requestsToRead(remote, plain, 33, 9)).as("9 chunks: three runs of 3").isEqualTo(3);
            assertThat(requestsToRead(remote, plain, 44, 5)).as("5 chunks: two runs of 3 and 2, not a third of one chunk")
                    .isEqualTo(2);
            assertThat(remote.cache().loads()).isEqualTo(33);
        }
    }

    /** Reads {@code count} chunks from chunk {@code first}, checks them, and returns the requests it took (not hedges). */
    private static long requestsToRead(RemoteRootImage remote, byte[] plain, int first, int count) throws IOException {
        int chunk = ImageHeader.DEFAULT_CHUNK_SIZE;
        BootReport.Fetch before = remote.stats();
        ByteBuffer read = ByteBuffer.allocate(count * chunk);
        remote.read((long) first * chunk, read);
        assertThat(read.array()).isEqualTo(Arrays.copyOfRange(plain, first * chunk, (first + count) * chunk));
        BootReport.Fetch after = remote.stats();
        return after.requests() - after.hedges() - (before.requests() - before.hedges());
    }

    @Test
    void killingAnEdgeHalfWayCostsNoReadAndNoByte() throws IOException {
        try (RemoteRootImage remote = open(2L << 20)) {
            byte[] got = new byte[expected.length];
            int third = expected.length / 3;
            readRange(remote, got, 0, third, 3);
            edges.kill(1);
            readRange(remote, got, third, got.length, 4);
            assertThat(got).isEqualTo(expected);
            // Killed mid-transfer or between requests: either way the edge is set aside with its problem.
            assertThat(remote.fetcher().edges().describe()).containsPattern(java.util.regex.Pattern.quote(edges.url(1).toString())
                    + " \\((connection refused|ended the body after [0-9]+ of [0-9]+ bytes)");
        }
    }

    @Test
    void aDamagedChunkOnOneEdgeIsDetectedAndServedByAnother() throws Exception {
        edges.fillAll();
        long chunk = 3;
        edges.damage(0, image.header.chunkOffset(chunk) + 1000);
        try (RemoteRootImage remote = open(4L << 20)) {
            // Chunk 3 asked first, with nothing in flight: the spread sends it to edge 0, the damaged one.
            ByteBuffer piece = ByteBuffer.allocate(4096);
            long position = chunk * image.header.chunkSize();
            remote.read(position, piece);
            assertThat(piece.array()).isEqualTo(java.util.Arrays.copyOfRange(expected, (int) position, (int) position + 4096));
            assertThat(remote.fetcher().stats().integrityFailures()).isEqualTo(1);

            byte[] got = new byte[expected.length];
            readRange(remote, got, 0, got.length, 5);
            assertThat(got).isEqualTo(expected);
        }
    }

    @Test
    void withAllEdgesDownReadsWaitThenSucceedWhenTheyReturn() throws Exception {
        try (RemoteRootImage remote = open(2L << 20)) {
            byte[] got = new byte[expected.length];
            int third = expected.length / 3;
            readRange(remote, got, 0, third, 6);
            for (int i = 0; i < 3; i++) {
                edges.kill(i);
            }
            CompletableFuture<Void> rest = CompletableFuture.runAsync(() -> {
                try {
                    readRange(remote, got, third, got.length, 7);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, Executors.newVirtualThreadPerTaskExecutor());
            // The reader says on the console that it waits, naming every edge; until an edge is back, no read ends.
            await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertThat(console).anySatisfy(line -> assertThat(line)
                    .contains("no edge can serve it")
                    .contains(edges.url(0).toString()).contains(edges.url(1).toString()).contains(edges.url(2).toString())));
            assertThat(rest).as("reads block while no edge serves").isNotDone();
            for (int i = 0; i < 3; i++) {
                edges.restart(i);
            }
            rest.get(30, TimeUnit.SECONDS);
            assertThat(got).isEqualTo(expected);
            assertThat(console.getLast()).contains("reads resumed");
        }
    }
}
