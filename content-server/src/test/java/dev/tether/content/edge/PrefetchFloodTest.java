package dev.tether.content.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.content.testing.Blobs;
import dev.tether.content.testing.FakeSource;
import dev.tether.content.testing.RawHttp;
import dev.tether.content.testing.TestClock;
import dev.tether.content.testing.TestServers;
import dev.tether.contracts.BlobDigest;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /prefetch} is the operator's alone, and a flood of it costs the edge a bounded queue, not its heap. */
class PrefetchFloodTest {
    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** One POST on a connection of its own, as a flood sends them (and so no race with an idle keep-alive close). */
    static RawHttp.Response prefetch(EdgeServer edge, String authorization, List<BlobDigest> digests) throws Exception {
        StringBuilder body = new StringBuilder("{\"digests\":[");
        for (int i = 0; i < digests.size(); i++) {
            body.append(i == 0 ? "\"" : ",\"").append(digests.get(i)).append('"');
        }
        byte[] json = body.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send("POST /prefetch HTTP/1.1\r\nHost: edge\r\nConnection: close\r\nContent-Type: application/json\r\n"
                    + (authorization != null ? "Authorization: " + authorization + "\r\n" : "")
                    + "Content-Length: " + json.length + "\r\n\r\n");
            c.send(json);
            return c.read();
        }
    }

    static List<BlobDigest> randomDigests(Random random, int n) {
        List<BlobDigest> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(Blobs.digestOf(Blobs.random(8, random.nextLong())));
        }
        return out;
    }

    static double gauge(EdgeServer edge, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + " (\\S+)$").matcher(edge.metrics().scrape());
        assertThat(m.find()).as("metric %s", name).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void onlyTheHolderOfThePrefetchTokenQueuesAnything() throws Exception {
        byte[] content = Blobs.random(50_000, 61);
        BlobDigest d = Blobs.digestOf(content);
        try (FakeSource origin = new FakeSource(content);
             EdgeServer edge = TestServers.edge(dir.resolve("a"), 1L << 30, origin.url(), new TestClock());
             EdgeServer noToken = TestServers.edge(dir.resolve("b"), 1L << 30, origin.url(), List.of())) {
            RawHttp.Response none = prefetch(edge, null, List.of(d));
            assertThat(none.status()).isEqualTo(401);
            assertThat(none.header("www-authenticate")).isEqualTo("Bearer");
            assertThat(none.text()).contains("prefetch needs Authorization: Bearer <token>");
            assertThat(prefetch(edge, "Bearer wrong-" + TestServers.PREFETCH_TOKEN, List.of(d)).status()).isEqualTo(401);
            assertThat(prefetch(edge, "Basic " + TestServers.PREFETCH_TOKEN, List.of(d)).status()).isEqualTo(401);
            RawHttp.Response off = prefetch(noToken, "Bearer " + TestServers.PREFETCH_TOKEN, List.of(d));
            assertThat(off.status()).isEqualTo(403);
            assertThat(off.text()).contains("--prefetch-token-file");
            assertThat(origin.gets()).as("no refused request reached the origin").isZero();

            RawHttp.Response ok = prefetch(edge, "Bearer " + TestServers.PREFETCH_TOKEN, List.of(d, d));
            assertThat(ok.status()).isEqualTo(202);
            assertThat(ok.text()).as("queued once").isEqualTo("{\"queued\":[\"" + d + "\"]}");
            EdgeFillTest.awaitHeld(edge, d);
            assertThat(origin.gets()).isEqualTo(1);
        }
    }

    @Test
    void aFloodOfRandomPrefetchesIsRefusedBeyondABoundedQueueWhileRangesAndHealthAreServed() throws Exception {
        byte[] content = Blobs.random(1 << 20, 62);
        BlobDigest held = Blobs.put(dir, content);
        // An origin that accepts connections and never answers: the prefetch worker is stuck on its
        // first fill for the whole flood, so everything accepted stays in the queue.
        try (ServerSocket silentOrigin = new ServerSocket(0, 1000, InetAddress.getLoopbackAddress());
             EdgeServer edge = TestServers.edge(dir, 1L << 30, "http://127.0.0.1:" + silentOrigin.getLocalPort(), new TestClock())) {
            ExecutorService pool = Executors.newFixedThreadPool(5);
            AtomicBoolean flooding = new AtomicBoolean(true);
            ConcurrentHashMap<Integer, AtomicInteger> floodAnswers = new ConcurrentHashMap<>();
            AtomicInteger accepted = new AtomicInteger();
            Set<String> retryAfter = ConcurrentHashMap.newKeySet();
            List<Future<?>> flood = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                boolean withToken = t % 2 == 0;
                Random random = new Random(t);
                flood.add(pool.submit(() -> {
                    for (int i = 0; i < 60; i++) {
                        RawHttp.Response r = prefetch(edge, withToken ? "Bearer " + TestServers.PREFETCH_TOKEN : null,
                                randomDigests(random, 256));
                        floodAnswers.computeIfAbsent(r.status(), k -> new AtomicInteger()).incrementAndGet();
                        if (r.status() == 429) {
                            retryAfter.add(String.valueOf(r.header("retry-after")));
                        }
                        if (r.status() == 202) {
                            accepted.addAndGet(r.text().split("sha256:", -1).length - 1);
                        }
                    }
                    return null;
                }));
            }
            List<String> honestFailures = new ArrayList<>();
            AtomicInteger honestServed = new AtomicInteger();
            Future<?> honest = pool.submit(() -> {
                Random random = new Random(99);
                while (flooding.get() || honestServed.get() < 20) {
                    int from = random.nextInt(content.length - 4096);
                    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(TestServers.url(edge.port())
                            + "/blobs/sha256/" + held.hex())).header("Range", "bytes=" + from + "-" + (from + 4095))
                            .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
                    HttpResponse<String> h = http.send(HttpRequest.newBuilder(URI.create(TestServers.url(edge.port()) + "/healthz"))
                            .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 206 || !Arrays.equals(r.body(), Arrays.copyOfRange(content, from, from + 4096))
                            || h.statusCode() != 200) {
                        honestFailures.add("range " + r.statusCode() + ", healthz " + h.statusCode());
                    }
                    honestServed.incrementAndGet();
                }
                return null;
            });
            for (Future<?> f : flood) {
                f.get(5, TimeUnit.MINUTES);
            }
            flooding.set(false);
            honest.get(5, TimeUnit.MINUTES);
            pool.shutdown();

            assertThat(floodAnswers.get(401)).as("every unauthenticated request refused").hasValue(120);
            assertThat(floodAnswers.get(429)).as("the flood is told to come back later").isNotNull();
            assertThat(floodAnswers.get(429).get()).isGreaterThan(100);
            assertThat(floodAnswers.keySet()).containsOnly(202, 401, 429);
            assertThat(retryAfter).containsOnly("30");
            // What was accepted is what the queue can hold (plus at most what the stuck worker took out of it).
            assertThat(accepted.get()).isLessThanOrEqualTo(Prefetcher.DEFAULT_CAPACITY + 8);
            assertThat(gauge(edge, "tether_prefetch_queued")).isLessThanOrEqualTo(Prefetcher.DEFAULT_CAPACITY);
            assertThat(edge.metrics().scrape()).contains("tether_prefetch_capacity " + Prefetcher.DEFAULT_CAPACITY + ".0");
            assertThat(honestFailures).isEmpty();
            assertThat(honestServed.get()).isGreaterThanOrEqualTo(20);
        }
    }
}
