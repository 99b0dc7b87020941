package dev.tether.content.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.content.origin.OriginServer;
import dev.tether.content.store.ServableBlob;
import dev.tether.content.testing.Blobs;
import dev.tether.content.testing.FakeSource;
import dev.tether.content.testing.RawHttp;
import dev.tether.content.testing.TestClock;
import dev.tether.content.testing.TestServers;
import dev.tether.contracts.BlobDigest;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pull-through cache: single fills, serving during a fill, failover, verification, quota. */
class EdgeFillTest {
    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    CompletableFuture<HttpResponse<byte[]>> getAsync(int port, BlobDigest d, String range) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(TestServers.url(port) + "/blobs/sha256/" + d.hex()))
                .timeout(Duration.ofSeconds(30));
        if (range != null) {
            b.header("Range", range);
        }
        return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> get(int port, BlobDigest d, String range) throws Exception {
        return getAsync(port, d, range).get(30, TimeUnit.SECONDS);
    }

    static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void rangesAreServedWhileTheFillRunsAndTheOriginIsAskedOnce() throws Exception {
        byte[] content = Blobs.random(4 << 20, 21);
        BlobDigest d = Blobs.digestOf(content);
        try (FakeSource origin = new FakeSource(content).throttle(64 * 1024, 25);
             EdgeServer edge = TestServers.edge(dir, 1L << 30, origin.url(), List.of())) {
            long[][] ranges = {{0, 1023}, {1 << 20, (1 << 20) + 4095}, {3 << 20, (4 << 20) - 1}, {100, 200_000}};
            List<CompletableFuture<HttpResponse<byte[]>>> pending = new ArrayList<>();
            for (long[] r : ranges) {
                pending.add(getAsync(edge.port(), d, "bytes=" + r[0] + "-" + r[1]));
            }
            pending.add(getAsync(edge.port(), d, null));

            HttpResponse<byte[]> first = pending.get(0).get(30, TimeUnit.SECONDS);
            // The first kilobyte came while most of the blob was still on its way.
            assertThat(origin.bytesSent()).isLessThan(content.length / 2);
            assertThat(first.statusCode()).isEqualTo(206);
            assertThat(first.body()).isEqualTo(Arrays.copyOfRange(content, 0, 1024));

            for (int i = 0; i < ranges.length; i++) {
                HttpResponse<byte[]> r = pending.get(i).get(30, TimeUnit.SECONDS);
                assertThat(r.statusCode()).isEqualTo(206);
                assertThat(r.headers().firstValue("content-range"))
                        .hasValue("bytes " + ranges[i][0] + "-" + ranges[i][1] + "/" + content.length);
                assertThat(r.body()).isEqualTo(Arrays.copyOfRange(content, (int) ranges[i][0], (int) ranges[i][1] + 1));
            }
            HttpResponse<byte[]> whole = pending.get(ranges.length).get(30, TimeUnit.SECONDS);
            assertThat(whole.statusCode()).isEqualTo(200);
            assertThat(whole.body()).isEqualTo(content);

            awaitHeld(edge, d);
            assertThat(get(edge.port(), d, "bytes=5-9").body()).isEqualTo(Arrays.copyOfRange(content, 5, 10));
            assertThat(origin.gets()).isEqualTo(1);
            assertThat(Files.readAllBytes(dir.resolve("blobs/sha256/" + d.hex()))).isEqualTo(content);
        }
    }

    @Test
    void whenTheOriginIsDownAPeerEdgeFills() throws Exception {
        byte[] content = Blobs.random(500_000, 22);
        BlobDigest d = Blobs.put(dir.resolve("peer"), content);
        String deadOrigin = TestServers.url(closedPort());
        try (EdgeServer peer = TestServers.edge(dir.resolve("peer"), 1L << 30, deadOrigin, List.of());
             EdgeServer edge = TestServers.edge(dir.resolve("edge"), 1L << 30, deadOrigin, List.of(TestServers.url(peer.port())))) {
            HttpResponse<byte[]> r = get(edge.port(), d, null);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(content);
            awaitHeld(edge, d);
        }
    }

    /**
     * The origin down, the first peer (another edge, which this one does not trust) announces a size of its own and
     * sends bytes that are not the blob. What a peer announces holds for its own answer only: the next peer's blob,
     * of another size, fills.
     */
    @Test
    void aPeerThatAnnouncesAnotherSizeCannotKeepTheBlobFromTheNextPeer() throws Exception {
        byte[] content = Blobs.random(500_000, 27);
        BlobDigest d = Blobs.digestOf(content);
        String deadOrigin = TestServers.url(closedPort());
        try (FakeSource liar = new FakeSource(Blobs.random(400_000, 28)).throttle(16 * 1024, 50).truncateAt(64 * 1024);
             FakeSource honest = new FakeSource(content);
             EdgeServer edge = TestServers.edge(dir, 1L << 30, deadOrigin, List.of(liar.url(), honest.url()))) {
            // This reader starts the fill, so its answer begins with the liar's size: when the next peer's answer
            // comes with another, it is cut (the liar never sent the bytes it asks for), not given "/400000".
            CompletableFuture<HttpResponse<byte[]>> toldTheLie = getAsync(edge.port(), d, "bytes=300000-300099");
            assertThat(toldTheLie).failsWithin(Duration.ofSeconds(30));
            awaitHeld(edge, d);
            HttpResponse<byte[]> again = get(edge.port(), d, "bytes=300000-300099");
            assertThat(again.headers().firstValue("content-range")).hasValue("bytes 300000-300099/500000");
            assertThat(again.body()).isEqualTo(Arrays.copyOfRange(content, 300_000, 300_100));
            assertThat(get(edge.port(), d, null).body()).isEqualTo(content);
            assertThat(liar.gets()).isEqualTo(1);
            assertThat(honest.gets()).isEqualTo(1);
        }
    }

    /**
     * The origin down, one peer announces a blob as large as the edge's whole quota and another one larger than the
     * quota, each sending a little. Room is made for a peer's bytes as they arrive, not for what it announced: the
     * blobs the edge holds stay, a claim beyond the quota ends that peer's answer and not the fill, and the next peer
     * fills.
     */
    @Test
    void aPeerThatAnnouncesAHugeBlobNeitherEvictsTheCacheNorEndsTheFill() throws Exception {
        Path edgeDir = dir.resolve("edge");
        BlobDigest a = Blobs.put(edgeDir, Blobs.random(1 << 20, 41));
        BlobDigest b = Blobs.put(edgeDir, Blobs.random(1 << 20, 42));
        byte[] content = Blobs.random(500_000, 43);
        BlobDigest c = Blobs.digestOf(content);
        String deadOrigin = TestServers.url(closedPort());
        try (FakeSource quotaSized = new FakeSource(Blobs.random(100_000, 44)).announce(3L << 20);
             FakeSource overQuota = new FakeSource(Blobs.random(100_000, 45)).announce(1L << 40);
             FakeSource honest = new FakeSource(content);
             EdgeServer edge = TestServers.edge(edgeDir, 3L << 20, deadOrigin,
                     List.of(quotaSized.url(), overQuota.url(), honest.url()))) {
            awaitHeld(edge, a);
            awaitHeld(edge, b);
            getOrCut(edge, c, content);
            // Checked once the first answer is done (before the change, both were gone by then).
            assertThat(edge.cache().holds(a)).as("a blob held before the fill").isTrue();
            assertThat(edge.cache().holds(b)).as("a blob held before the fill").isTrue();
            awaitHeld(edge, c);
            assertThat(List.of(quotaSized.gets(), overQuota.gets(), honest.gets())).containsExactly(1, 1, 1);
            assertThat(edge.cache().used()).isEqualTo((2L << 20) + content.length);
        }
    }

    /**
     * The origin down, the first peer trickles its answer: a KiB every half second, never still for as long as the
     * stall timeout, so 500 KB would take four minutes, and the blob would wait for it. A peer's answer must keep up an
     * average rate ({@link FillSettings#peerMinBytesPerSecond}): it is given up and the next peer fills.
     */
    @Test
    void aPeerThatTricklesItsAnswerIsGivenUpAndTheNextPeerFills() throws Exception {
        byte[] content = Blobs.random(500_000, 29);
        BlobDigest d = Blobs.digestOf(content);
        String deadOrigin = TestServers.url(closedPort());
        try (FakeSource trickler = new FakeSource(content).throttle(1024, 500);
             FakeSource honest = new FakeSource(content);
             EdgeServer edge = TestServers.edge(dir, 1L << 30, deadOrigin, List.of(trickler.url(), honest.url()))) {
            getOrCut(edge, d, content);
            awaitHeld(edge, d);
            assertThat(honest.gets()).isEqualTo(1);
            assertThat(trickler.bytesSent()).as("the trickle given up").isLessThan(content.length / 10);
        }
    }

    /** Reads the whole blob; a reader told a lying source's size is cut instead (never a wrong answer). */
    private void getOrCut(EdgeServer edge, BlobDigest d, byte[] content) throws Exception {
        try {
            HttpResponse<byte[]> r = get(edge.port(), d, null);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(content);
        } catch (java.util.concurrent.ExecutionException cut) {
            assertThat(cut).hasCauseInstanceOf(java.io.IOException.class);
        }
    }

    @Test
    void aPeerAskedOnlyIfCachedNeverStartsAFillOfItsOwn() throws Exception {
        byte[] content = Blobs.random(1000, 23);
        BlobDigest d = Blobs.digestOf(content);
        try (FakeSource origin = new FakeSource(content);
             EdgeServer edge = TestServers.edge(dir, 1L << 30, origin.url(), List.of());
             RawHttp c = new RawHttp(edge.port())) {
            c.send(RawHttp.get("/blobs/sha256/" + d.hex(), "Cache-Control: only-if-cached"));
            assertThat(c.read().status()).isEqualTo(504);
            assertThat(origin.gets()).isZero();
        }
    }

    @Test
    void corruptBytesFromTheOriginAreDiscardedAndTheNextSourceFills() throws Exception {
        byte[] content = Blobs.random(1 << 20, 24);
        byte[] corrupt = content.clone();
        corrupt[corrupt.length / 2] ^= 1;
        BlobDigest d = Blobs.digestOf(content);
        try (FakeSource badOrigin = new FakeSource(corrupt);
             FakeSource goodPeer = new FakeSource(content);
             EdgeServer edge = TestServers.edge(dir, 1L << 30, badOrigin.url(), List.of(goodPeer.url()))) {
            // This first reader may be served from the corrupt bytes before they fail verification,
            // in which case its response is cut; either way it never gets a complete wrong answer.
            try {
                HttpResponse<byte[]> first = get(edge.port(), d, null);
                assertThat(first.body()).isEqualTo(content);
            } catch (java.util.concurrent.ExecutionException cut) {
                assertThat(cut).hasCauseInstanceOf(java.io.IOException.class);
            }
            awaitHeld(edge, d);
            assertThat(badOrigin.gets()).isEqualTo(1);
            assertThat(goodPeer.gets()).isEqualTo(1);
            assertThat(Files.readAllBytes(dir.resolve("blobs/sha256/" + d.hex()))).isEqualTo(content);
            assertThat(get(edge.port(), d, "bytes=-100").body()).isEqualTo(Arrays.copyOfRange(content, content.length - 100, content.length));
            assertThat(edge.metrics().scrape()).contains("tether_cache_fills_total{result=\"discarded\"} 1.0");
        }
    }

    @Test
    void readersWaitingWhenASourceFailsGetTheirBytesFromTheNextSource() throws Exception {
        byte[] content = Blobs.random(2 << 20, 26);
        BlobDigest d = Blobs.digestOf(content);
        try (FakeSource dyingOrigin = new FakeSource(content).throttle(64 * 1024, 20).truncateAt(512 * 1024);
             FakeSource peer = new FakeSource(content).throttle(64 * 1024, 5);
             EdgeServer edge = TestServers.edge(dir, 1L << 30, dyingOrigin.url(), List.of(peer.url()))) {
            CompletableFuture<HttpResponse<byte[]>> tail = getAsync(edge.port(), d, "bytes=1048576-");
            CompletableFuture<HttpResponse<byte[]>> whole = getAsync(edge.port(), d, null);
            HttpResponse<byte[]> t = tail.get(30, TimeUnit.SECONDS);
            assertThat(t.statusCode()).isEqualTo(206);
            assertThat(t.body()).isEqualTo(Arrays.copyOfRange(content, 1 << 20, content.length));
            // The whole-blob reader had been sent the dying origin's first bytes: it is cut, not misled.
            assertThat(whole).failsWithin(Duration.ofSeconds(30));
            awaitHeld(edge, d);
            assertThat(dyingOrigin.gets()).isEqualTo(1);
            assertThat(peer.gets()).isEqualTo(1);
        }
    }

    @Test
    void aReaderThatGotUnverifiedBytesIsCutWhenTheyFailAndNothingIsStoredWhenNoSourceIsIntact() throws Exception {
        byte[] content = Blobs.random(1 << 20, 25);
        byte[] corrupt = content.clone();
        corrupt[corrupt.length - 1] ^= 1;
        BlobDigest d = Blobs.digestOf(content);
        try (FakeSource badOrigin = new FakeSource(corrupt).throttle(64 * 1024, 10);
             EdgeServer edge = TestServers.edge(dir, 1L << 30, badOrigin.url(), List.of())) {
            CompletableFuture<HttpResponse<byte[]>> early = getAsync(edge.port(), d, "bytes=0-99");
            CompletableFuture<HttpResponse<byte[]>> whole = getAsync(edge.port(), d, null);
            assertThat(early.get(30, TimeUnit.SECONDS).body()).hasSize(100);
            // The whole-blob reader had been sent bytes that then failed verification: its response is cut.
            assertThat(whole).failsWithin(Duration.ofSeconds(30));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(edge.metrics().scrape()).contains("tether_cache_fills_total{result=\"failed\"} 1.0"));
            assertThat(edge.cache().holds(d)).isFalse();
            assertThat(Files.list(dir.resolve("tmp"))).isEmpty();
            assertThat(Files.list(dir.resolve("blobs/sha256"))).isEmpty();
        }
    }

    @Test
    void aBlobNoSourceHasIsNotFound() throws Exception {
        try (OriginServer origin = TestServers.origin(dir.resolve("origin"));
             EdgeServer edge = TestServers.edge(dir.resolve("edge"), 1L << 30, TestServers.url(origin.port()), List.of())) {
            HttpResponse<byte[]> r = get(edge.port(), Blobs.digestOf(new byte[] {42}), null);
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(new String(r.body())).contains("neither the origin nor any peer has");
        }
    }

    @Test
    void theQuotaEvictsTheLeastRecentlyUsedBlobThatIsNotBeingServed() throws Exception {
        Path originDir = dir.resolve("origin");
        BlobDigest a = Blobs.put(originDir, Blobs.random(1 << 20, 31));
        BlobDigest b = Blobs.put(originDir, Blobs.random(1 << 20, 32));
        BlobDigest c = Blobs.put(originDir, Blobs.random(1 << 20, 33));
        BlobDigest e = Blobs.put(originDir, Blobs.random(1 << 20, 34));
        BlobDigest f = Blobs.put(originDir, Blobs.random(1 << 20, 35));
        try (OriginServer origin = TestServers.origin(originDir);
             EdgeServer edge = TestServers.edge(dir.resolve("edge"), 3L << 20, TestServers.url(origin.port()), List.of())) {
            for (BlobDigest d : List.of(a, b, c)) {
                assertThat(get(edge.port(), d, null).statusCode()).isEqualTo(200);
                awaitHeld(edge, d);
            }
            get(edge.port(), a, "bytes=0-0");
            // Least recently used is now b; e takes its place.
            assertThat(get(edge.port(), e, null).statusCode()).isEqualTo(200);
            awaitHeld(edge, e);
            assertThat(edge.cache().holds(b)).isFalse();
            assertThat(edge.cache().holds(a)).isTrue();

            // c is least recently used but being served (pinned): a goes instead.
            ServableBlob pinned = edge.cache().open(c, true).get();
            assertThat(get(edge.port(), f, null).statusCode()).isEqualTo(200);
            awaitHeld(edge, f);
            assertThat(edge.cache().holds(c)).isTrue();
            assertThat(edge.cache().holds(a)).isFalse();
            pinned.release();
            assertThat(edge.cache().used()).isEqualTo(3L << 20);
        }
    }

    @Test
    void aBlobLargerThanTheQuotaIsRefusedWith507() throws Exception {
        byte[] content = Blobs.random(2 << 20, 36);
        try (FakeSource origin = new FakeSource(content);
             EdgeServer edge = TestServers.edge(dir, 1 << 20, origin.url(), List.of())) {
            assertThat(get(edge.port(), Blobs.digestOf(content), null).statusCode()).isEqualTo(507);
        }
    }

    @Test
    void prefetchFetchesBeforeAnyNodeAsks() throws Exception {
        byte[] content = Blobs.random(200_000, 37);
        BlobDigest d = Blobs.digestOf(content);
        try (FakeSource origin = new FakeSource(content);
             EdgeServer edge = TestServers.edge(dir, 1L << 30, origin.url(), new TestClock())) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(TestServers.url(edge.port()) + "/prefetch"))
                    .header("Authorization", "Bearer " + TestServers.PREFETCH_TOKEN).POST(HttpRequest.BodyPublishers.ofString("{\"digests\":[\"" + d + "\"]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(202);
            assertThat(r.body()).isEqualTo("{\"queued\":[\"" + d + "\"]}");
            awaitHeld(edge, d);
            assertThat(origin.gets()).isEqualTo(1);

            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(TestServers.url(edge.port()) + "/prefetch"))
                    .header("Authorization", "Bearer " + TestServers.PREFETCH_TOKEN).POST(HttpRequest.BodyPublishers.ofString("{\"digests\":[\"md5:x\"]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(bad.statusCode()).isEqualTo(400);
        }
    }

    static void awaitHeld(EdgeServer edge, BlobDigest d) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(edge.cache().holds(d)).as("edge holds %s", d).isTrue());
    }
}
