package dev.tether.content.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.content.metrics.ServerMetrics;
import dev.tether.content.testing.Blobs;
import dev.tether.content.testing.FakeSource;
import dev.tether.content.testing.TestClock;
import dev.tether.content.testing.TestServers;
import dev.tether.contracts.BlobDigest;
import java.io.RandomAccessFile;
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
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the edge does when its disk or its sources let it down: never the wrong bytes, never a storm on the origin. */
class EdgeFaultsTest {
    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final TestClock clock = new TestClock();

    CompletableFuture<HttpResponse<byte[]>> getAsync(EdgeServer edge, BlobDigest d, String range) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(TestServers.url(edge.port()) + "/blobs/sha256/" + d.hex()))
                .timeout(Duration.ofSeconds(30));
        if (range != null) {
            b.header("Range", range);
        }
        return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> get(EdgeServer edge, BlobDigest d, String range) throws Exception {
        return getAsync(edge, d, range).get(30, TimeUnit.SECONDS);
    }

    static void awaitHeld(EdgeServer edge, BlobDigest d) {
        await().atMost(Duration.ofSeconds(30)).until(() -> edge.cache().holds(d));
    }

    @Test
    void aCachedBlobCorruptedWhileTheEdgeWasDownIsNeverServedAndIsFilledAgain() throws Exception {
        byte[] content = Blobs.random(3 << 20, 51);
        BlobDigest d = Blobs.digestOf(content);
        Path cached = dir.resolve("blobs/sha256/" + d.hex());
        try (FakeSource origin = new FakeSource(content)) {
            try (EdgeServer edge = TestServers.edge(dir, 1L << 30, origin.url(), clock)) {
                assertThat(get(edge, d, null).body()).isEqualTo(content);
                awaitHeld(edge, d);
            }
            int at = (int) (Files.size(cached) / 2);
            try (RandomAccessFile f = new RandomAccessFile(cached.toFile(), "rw")) {
                f.seek(at);
                f.write(new byte[16]);
            }
            assertThat(Files.readAllBytes(cached)).isNotEqualTo(content);

            try (EdgeServer edge = TestServers.edge(dir, 1L << 30, origin.url(), clock)) {
                // Several readers at once, the damaged range among them: all wait for the verdict, none gets the damage.
                List<CompletableFuture<HttpResponse<byte[]>>> answers = new ArrayList<>();
                answers.add(getAsync(edge, d, "bytes=" + (at - 8) + "-" + (at + 23)));
                answers.add(getAsync(edge, d, null));
                answers.add(getAsync(edge, d, "bytes=0-99"));
                HttpResponse<byte[]> range = answers.get(0).get(30, TimeUnit.SECONDS);
                assertThat(range.statusCode()).isEqualTo(206);
                assertThat(range.body()).isEqualTo(Arrays.copyOfRange(content, at - 8, at + 24));
                HttpResponse<byte[]> whole = answers.get(1).get(30, TimeUnit.SECONDS);
                assertThat(whole.statusCode()).isEqualTo(200);
                assertThat(whole.headers().firstValue("etag")).hasValue(d.etag());
                assertThat(whole.body()).isEqualTo(content);
                assertThat(answers.get(2).get(30, TimeUnit.SECONDS).body()).isEqualTo(Arrays.copyOf(content, 100));

                awaitHeld(edge, d);
                assertThat(origin.gets()).as("filled again from the origin").isEqualTo(2);
                assertThat(Files.readAllBytes(cached)).isEqualTo(content);
                assertThat(edge.metrics().scrape()).contains("tether_cache_verifications_total{result=\"failed\"} 1.0");
            }

            // An intact blob found at start is verified once and then served from disk, without the origin.
            try (EdgeServer edge = TestServers.edge(dir, 1L << 30, origin.url(), clock)) {
                assertThat(get(edge, d, "bytes=-10").body()).isEqualTo(Arrays.copyOfRange(content, content.length - 10, content.length));
                assertThat(get(edge, d, null).body()).isEqualTo(content);
                assertThat(origin.gets()).isEqualTo(2);
                assertThat(edge.metrics().scrape()).contains("tether_cache_verifications_total{result=\"ok\"} 1.0");
            }
        }
    }

    @Test
    void aCorruptedBlobTheBootConfigurationNamesIsCheckedAndFilledAgainBeforeAnyNodeAsks() throws Exception {
        byte[] content = Blobs.random(1 << 20, 55);
        BlobDigest d = Blobs.digestOf(content);
        byte[] damaged = content.clone();
        Arrays.fill(damaged, 4096, 4096 + 16, (byte) 0);
        Path cached = dir.resolve("blobs/sha256/" + d.hex());
        Files.createDirectories(cached.getParent());
        Files.write(cached, damaged);
        ServerMetrics metrics = new ServerMetrics();
        try (FakeSource origin = new FakeSource(content);
             EdgeCache cache = EdgeCache.open(dir, 1L << 30, List.of(new FillSource(origin.url(), false)), TestServers.fastFill(),
                     metrics, clock)) {
            assertThat(cache.holds(d)).isTrue();
            cache.protect(Set.of(d));
            await().atMost(Duration.ofSeconds(30)).until(() -> origin.gets() == 1 && cache.holds(d));
            assertThat(Files.readAllBytes(cached)).isEqualTo(content);
            assertThat(metrics.scrape()).contains("tether_cache_verifications_total{result=\"failed\"} 1.0");
        }
    }

    @Test
    void aFailedFillBacksOffPerDigestInsteadOfAskingTheOriginOnEveryRequest() throws Exception {
        byte[] content = Blobs.random(100_000, 52);
        BlobDigest d = Blobs.digestOf(content);
        BlobDigest other = Blobs.digestOf(Blobs.random(10, 53));
        try (FakeSource origin = new FakeSource(content).answer(500);
             EdgeServer edge = TestServers.edge(dir, 1L << 30, origin.url(), clock)) {
            assertThat(get(edge, d, null).statusCode()).isEqualTo(502);
            assertThat(origin.gets()).isEqualTo(1);

            for (int i = 0; i < 5; i++) {
                HttpResponse<byte[]> held = get(edge, d, "bytes=0-9");
                assertThat(held.statusCode()).isEqualTo(503);
                assertThat(held.headers().firstValue("retry-after")).hasValue("2");
                assertThat(new String(held.body())).contains("last fill of " + d + " failed").contains("again in 2 s");
            }
            assertThat(origin.gets()).as("no fetch during the back-off").isEqualTo(1);
            // The back-off is per digest: another blob is still fetched.
            assertThat(get(edge, other, null).statusCode()).isEqualTo(502);
            assertThat(origin.gets()).isEqualTo(2);

            clock.advance(Duration.ofSeconds(2));
            assertThat(get(edge, d, null).statusCode()).isEqualTo(502);
            assertThat(origin.gets()).isEqualTo(3);
            HttpResponse<byte[]> longer = get(edge, d, null);
            assertThat(longer.statusCode()).isEqualTo(503);
            assertThat(longer.headers().firstValue("retry-after")).as("doubled after the second failure").hasValue("4");

            origin.answer(200);
            clock.advance(Duration.ofSeconds(3));
            assertThat(get(edge, d, null).statusCode()).as("still within the 4 s").isEqualTo(503);
            clock.advance(Duration.ofSeconds(1));
            HttpResponse<byte[]> ok = get(edge, d, null);
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).isEqualTo(content);
            assertThat(origin.gets()).isEqualTo(4);
            assertThat(edge.metrics().scrape()).contains("tether_cache_fill_backoff_total 7.0");
        }
    }

    @Test
    void aWrongBytesOriginsBlobIsNeverKeptUnderThatDigest() throws Exception {
        byte[] content = Blobs.random(1 << 20, 54);
        byte[] wrong = content.clone();
        wrong[wrong.length - 16] ^= 0x55;
        BlobDigest d = Blobs.digestOf(content);
        try (FakeSource origin = new FakeSource(wrong).throttle(64 * 1024, 5)) {
            try (EdgeServer edge = TestServers.edge(dir, 1L << 30, origin.url(), clock)) {
                // Ranges answered during the fill carry unverified bytes (docs/contracts.md): the node's AEAD is the check.
                CompletableFuture<HttpResponse<byte[]>> early = getAsync(edge, d, "bytes=0-99");
                CompletableFuture<HttpResponse<byte[]>> whole = getAsync(edge, d, null);
                early.handle((r, e) -> null).get(30, TimeUnit.SECONDS);
                // A whole-blob body is held back until the fill is verified, so it never completes with the wrong
                // bytes: it is cut, or (asked again by the client, or late) refused while the fill backs off.
                try {
                    HttpResponse<byte[]> w = whole.get(30, TimeUnit.SECONDS);
                    assertThat(w.statusCode()).isIn(502, 503);
                } catch (ExecutionException cut) {
                    assertThat(cut).hasCauseInstanceOf(java.io.IOException.class);
                }
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> edge.metrics().scrape().contains("tether_cache_fills_total{result=\"failed\"} 1.0"));
                assertThat(edge.cache().holds(d)).isFalse();
                assertThat(edge.cache().list()).isEmpty();
                assertThat(dir.resolve("blobs/sha256")).isEmptyDirectory();
                assertThat(dir.resolve("tmp")).isEmptyDirectory();
                assertThat(get(edge, d, "bytes=0-99").statusCode()).isEqualTo(503);
            }
            try (EdgeServer edge = TestServers.edge(dir, 1L << 30, origin.url(), clock)) {
                assertThat(edge.cache().holds(d)).as("nothing under that digest after a restart either").isFalse();
            }
        }
    }
}
