package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.AppenderBase;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.content.edge.EdgeServer;
import dev.tether.content.edge.FillSettings;
import dev.tether.content.http.HttpSettings;
import dev.tether.nodeapi.ApiKeyIssued;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.BootConfiguration;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.Names;
import dev.tether.operator.OperatorConfig;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * What issue 14 throws at the node API, all at once, with the answer printed side by side: the real node API (the
 * operator on the mock API server) behind a real edge that names each client in a PROXY protocol v2 header, honest
 * nodes asking for their boot configuration with their keys, each from its own address, while strangers flood it:
 * wrong keys for the real nodes from many addresses, made-up node names, malformed and oversized requests, request
 * heads trickled byte by byte, garbage instead of TLS and forged PROXY headers. It ends with one line: requests
 * tried, faults injected, honest requests failed (must be 0).
 *
 * <p>{@code ./mvnw -pl operator -am verify -Pfaults -Dtest=NodeApiAbuseTest -Dsurefire.failIfNoSpecifiedTests=false}
 * (also part of {@code -Plong}; the filter keeps the modules built with {@code -am} from running their own tests). Latencies, heap and the API server's
 * request counts are printed, not asserted: they depend on the machine. What is asserted is what must hold anywhere:
 * every honest request was served (none refused, none 429), and no abuser got a 2xx.
 *
 * <p>The operator runs in the test's JVM, so the heap printed is that JVM's (operator, mock API server, edge and the
 * clients) after a full collection: what matters is that it does not grow with the abuse.
 */
@Tag("long")
@Tag("faults")
class NodeApiAbuseTest extends NodeApiTestBase {
    private static final int HONEST_NODES = 8;
    private static final int HONEST_REQUESTS = 400;
    private static final int HONEST_THREADS = 4;
    /**
     * Shorter than the chart's 30 s so that trickled heads are seen cut off within the run; long enough that an honest
     * request on a busy two-core machine (TLS handshake included, which the deadline covers) never meets it.
     */
    private static final Duration REQUEST_DEADLINE = Duration.ofSeconds(10);
    private static final int SLOW_CONNECTIONS = 16;
    private static final String ARMED = "node-armed";
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;
    EdgeServer edge;
    final List<String> nodes = new ArrayList<>();
    final Map<String, String> keys = new TreeMap<>();
    final List<String[]> rows = new ArrayList<>();
    final AtomicLong requestsTried = new AtomicLong();
    final AtomicLong faultsInjected = new AtomicLong();

    record Load(int tried, int served, List<String> failures, Map<Integer, AtomicInteger> statuses, double p50Millis, double p99Millis,
                double seconds) {
    }

    /** What one kind of abuse threw and what came back: statuses, -1 for a connection closed without an answer. */
    static final class Abuse {
        final String name;
        final Map<Integer, AtomicInteger> statuses = new TreeMap<>();
        final AtomicInteger tried = new AtomicInteger();
        final ConcurrentLinkedQueue<Long> closeMillis = new ConcurrentLinkedQueue<>();

        Abuse(String name) {
            this.name = name;
        }

        void count(int status) {
            synchronized (statuses) {
                statuses.computeIfAbsent(status, k -> new AtomicInteger()).incrementAndGet();
            }
        }

        boolean any2xx() {
            synchronized (statuses) {
                return statuses.keySet().stream().anyMatch(s -> s >= 200 && s < 300);
            }
        }
    }

    @Override
    UnaryOperator<OperatorConfig> settings() {
        // The chart's failure budgets (10 per node, 100 per address, 10 minutes), the edge trusted for its PROXY header.
        return c -> c.withNodeApi(c.nodeApi().withTrustedProxies(List.of("127.0.0.1/32")).withRequestTimeout(REQUEST_DEADLINE));
    }

    @BeforeEach
    void startEdge() throws Exception {
        // Thousands of refusals are logged: count them rather than keep them all in memory and on the console.
        logs.close();
        var loopback = new InetSocketAddress("127.0.0.1", 0);
        edge = EdgeServer.start(new EdgeServer.Config(dir.resolve("cache"), 1L << 30, "http://127.0.0.1:9", List.of(), loopback,
                loopback, server.address(), null, Duration.ofSeconds(1), null, HttpSettings.defaults(), FillSettings.defaults(),
                Duration.ofMinutes(1), 2, null, java.time.InstantSource.system(), true));
    }

    @AfterEach
    void stopEdge() {
        if (edge != null) {
            edge.close();
        }
    }

    @Test
    void honestNodesAreServedWhileStrangersThrowEverythingAtTheNodeApi() throws Exception {
        publishedImage("bookworm", DIGEST);
        profile("compute", "bookworm");
        for (int i = 0; i < HONEST_NODES; i++) {
            String node = "node-%03d".formatted(i + 1);
            create(credentialFor(node, i));
            nodes.add(node);
        }
        create(credentialFor(ARMED, 99));
        for (int i = 0; i < HONEST_NODES; i++) {
            keys.put(nodes.get(i), firstBoot(i));
        }
        warmUp();
        Load warm = honestLoad(HONEST_REQUESTS / 5);

        var console = quietConsole();
        CountingAppender logLines = null;
        try {
            recordedRequests();
            Load quiet = honestLoad(HONEST_REQUESTS);
            var quietApi = apiServerLoad(recordedRequests());
            long heapBefore = heapAfterGcMiB();

            logLines = countLogLines();
            var stop = new AtomicBoolean();
            var wrongKeys = new Abuse("wrong keys");
            var madeUp = new Abuse("made-up names");
            var bodies = new Abuse("bodies");
            var slow = new Abuse("slow heads");
            var garbage = new Abuse("garbage");
            var forged = new Abuse("PROXY headers");
            ExecutorService pool = Executors.newFixedThreadPool(6);
            List<Future<?>> abuse = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int thread = t;
                abuse.add(pool.submit(() -> wrongKeys(wrongKeys, thread, stop)));
            }
            abuse.add(pool.submit(() -> madeUpNames(madeUp, stop)));
            abuse.add(pool.submit(() -> badBodies(bodies, stop)));
            abuse.add(pool.submit(() -> slowHeads(slow, stop)));
            abuse.add(pool.submit(() -> garbage(garbage, forged, stop)));
            // The honest load starts once every kind of abuse is under way.
            await().atMost(Duration.ofMinutes(1)).until(() -> java.util.stream.Stream.of(wrongKeys, madeUp, bodies, slow, garbage)
                    .allMatch(a -> a.tried.get() > 0));
            Load loud = honestLoad(HONEST_REQUESTS);
            stop.set(true);
            for (Future<?> f : abuse) {
                f.get(2, TimeUnit.MINUTES);
            }
            pool.shutdown();
            // Events of the last refusals may still be on their way to the API server: wait until it hears nothing more.
            var seen = new AtomicInteger(-1);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> harness.server.getRequestCount() == seen.getAndSet(harness.server.getRequestCount()));
            var loudApi = apiServerLoad(recordedRequests());
            String eventsByReason = eventsByReason();
            long heapAfter = heapAfterGcMiB();

            row("honest boot-config GETs, no abuse", quiet.tried() + " from " + HONEST_NODES + " nodes via the edge", served(quiet));
            row("honest boot-config GETs, during the abuse", loud.tried() + " from " + HONEST_NODES + " nodes via the edge",
                    served(loud));
            row("wrong keys for the " + HONEST_NODES + " real nodes", wrongKeys.tried + " GETs from 250 addresses", statuses(wrongKeys));
            row("made-up node names", madeUp.tried + " GETs/POSTs from 250 addresses", statuses(madeUp));
            row("malformed/oversized requests, armed node", bodies.tried + " of 7 kinds from 250 addresses", statuses(bodies)
                    + "; still armed: " + status(ARMED).armed);
            row("request heads trickled 1 byte/200 ms", slow.tried + " TLS connections, " + SLOW_CONNECTIONS + " at a time",
                    statuses(slow) + ", cut after " + closeTimes(slow) + " (deadline " + REQUEST_DEADLINE.toSeconds() + " s)");
            row("garbage instead of TLS", garbage.tried + " connections: HTTP, random bytes", statuses(garbage) + ", after "
                    + closeTimes(garbage));
            row("PROXY headers from no trusted edge", forged.tried + " conns: forged, via edge, edge w/o one", statuses(forged)
                    + ", after " + closeTimes(forged) + "; refused before TLS: " + proxyRefusals());
            row("API server requests, no abuse", quiet.tried() + " honest requests", quietApi);
            row("API server requests, during the abuse", loud.tried() + " honest + " + (wrongKeys.tried.get() + madeUp.tried.get()
                    + bodies.tried.get() + slow.tried.get() + garbage.tried.get() + forged.tried.get()) + " abusive", loudApi);
            row("events written in all, by reason", "(one API server write each)", eventsByReason);
            row("operator JVM heap after GC", "before the abuse " + heapBefore + " MiB", "after " + heapAfter + " MiB (max "
                    + (Runtime.getRuntime().maxMemory() >> 20) + " MiB); " + logLines.lines.get() + " log lines, "
                    + suppressedEvents() + " events not written");

            System.out.println();
            System.out.printf("%-44s | %-44s | %s%n", "node API abuse suite", "thrown", "what the node API did");
            System.out.println("-".repeat(44) + "-+-" + "-".repeat(44) + "-+-" + "-".repeat(70));
            for (String[] r : rows) {
                System.out.printf("%-44s | %-44s | %s%n", r[0], r[1], r[2]);
            }
            int honestFailed = warm.failures().size() + quiet.failures().size() + loud.failures().size();
            System.out.printf("node-api-abuse: requests tried %d, faults injected %d, honest requests failed %d%n%n",
                    requestsTried.get(), faultsInjected.get(), honestFailed);

            assertThat(warm.failures()).as("honest requests while warming up").isEmpty();
            assertThat(quiet.failures()).as("honest requests without abuse").isEmpty();
            assertThat(loud.failures()).as("honest requests during the abuse").isEmpty();
            assertThat(loud.statuses()).as("no honest request was answered 429").doesNotContainKey(429);
            for (Abuse a : List.of(wrongKeys, madeUp, bodies, slow, garbage, forged)) {
                assertThat(a.any2xx()).as(a.name + " got a 2xx: " + statuses(a)).isFalse();
            }
            assertThat(status(ARMED).armed).as("no key was issued to the malformed requests").isTrue();
        } finally {
            if (logLines != null) {
                logLines.detach();
            }
            console.run();
        }
    }

    // ---- honest nodes ----------------------------------------------------------------------------

    private dev.tether.api.v1alpha1.NodeCredential credentialFor(String node, int i) {
        var c = credential(node, "compute", Arming.ONCE);
        c.getSpec().hardware.macs = List.of(mac(i));
        c.getSpec().addresses = new ArrayList<>(List.of("10.1.0." + (10 + i)));
        return c;
    }

    private static String mac(int i) {
        return "52:54:00:12:35:%02x".formatted(i);
    }

    private static String honestAddress(int i) {
        return "127.0.2." + (i + 1);
    }

    private NodeApiTestClient throughEdge(String from) throws IOException {
        return api.at(new InetSocketAddress("127.0.0.1", edge.apiPort()), from);
    }

    /** The node's first boot: its key over the network, through the edge. */
    private String firstBoot(int i) throws Exception {
        var response = throughEdge(honestAddress(i)).post(NAMESPACE, nodes.get(i), NodeApi.API_KEY, null,
                new ArmingRequest(List.of(mac(i)), null));
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        return response.as(ApiKeyIssued.class).apiKey();
    }

    /** Until each node's key is answered from the informer cache (and its first use recorded), as in a running cluster. */
    private void warmUp() {
        for (int i = 0; i < HONEST_NODES; i++) {
            String node = nodes.get(i);
            String secretPath = "/secrets/" + Names.apiKeySecret(node);
            var client = throughEdgeUnchecked(honestAddress(i));
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                recordedRequests();
                var r = client.get(NAMESPACE, node, NodeApi.BOOT_CONFIG, keys.get(node));
                assertThat(r.status()).as(r.text()).isEqualTo(200);
                assertThat(recordedRequests()).noneMatch(q -> q.getPath().contains(secretPath) || q.getPath().contains("/nodecredentials/"));
            });
        }
    }

    private NodeApiTestClient throughEdgeUnchecked(String from) {
        try {
            return throughEdge(from);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Load honestLoad(int requests) throws Exception {
        var latencies = new ConcurrentLinkedQueue<Long>();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        Map<Integer, AtomicInteger> statuses = new TreeMap<>();
        var next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(HONEST_THREADS);
        List<Future<?>> workers = new ArrayList<>();
        long began = System.nanoTime();
        for (int t = 0; t < HONEST_THREADS; t++) {
            workers.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                    int n = i % HONEST_NODES;
                    String node = nodes.get(n);
                    long start = System.nanoTime();
                    requestsTried.incrementAndGet();
                    try {
                        var r = throughEdge(honestAddress(n)).get(NAMESPACE, node, NodeApi.BOOT_CONFIG, keys.get(node));
                        synchronized (statuses) {
                            statuses.computeIfAbsent(r.status(), k -> new AtomicInteger()).incrementAndGet();
                        }
                        if (r.status() != 200 || !node.equals(r.as(BootConfiguration.class).nodeName())) {
                            failures.add(node + ": " + r.status() + " " + r.text());
                        }
                    } catch (IOException e) {
                        failures.add(node + ": " + e);
                    }
                    latencies.add(System.nanoTime() - start);
                }
                return null;
            }));
        }
        for (Future<?> f : workers) {
            f.get(5, TimeUnit.MINUTES);
        }
        pool.shutdown();
        double seconds = (System.nanoTime() - began) / 1e9;
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Load(requests, requests - failures.size(), failures, statuses, percentile(sorted, 0.50),
                percentile(sorted, 0.99), seconds);
    }

    // ---- abuse -----------------------------------------------------------------------------------

    /** Random well-formed keys for the real nodes' names, each from the next of 250 addresses. */
    private Void wrongKeys(Abuse a, int thread, AtomicBoolean stop) {
        for (int i = thread; !stop.get(); i += 2) {
            String node = nodes.get(i % HONEST_NODES);
            String from = "127.0.3." + (1 + i % 250);
            request(a, () -> throughEdge(from).get(NAMESPACE, node, NodeApi.BOOT_CONFIG, randomKey()).status());
        }
        return null;
    }

    /** Names no credential has: boot configurations with random keys, and keys asked for with a plausible MAC. */
    private Void madeUpNames(Abuse a, AtomicBoolean stop) {
        for (int i = 0; !stop.get(); i++) {
            String node = "made-up-" + i;
            String mac = mac(i % 256);
            var client = throughEdgeUnchecked("127.0.4." + (1 + i % 250));
            if (i % 2 == 0) {
                request(a, () -> client.get(NAMESPACE, node, NodeApi.BOOT_CONFIG, randomKey()).status());
            } else {
                request(a, () -> client.post(NAMESPACE, node, NodeApi.API_KEY, null, new ArmingRequest(List.of(mac), null)).status());
            }
        }
        return null;
    }

    /** Malformed and oversized requests for a credential that is armed: a well-formed one with its MAC would get a key. */
    private Void badBodies(Abuse a, AtomicBoolean stop) {
        String path = NodeApi.path(NAMESPACE, ARMED, NodeApi.API_KEY);
        for (int i = 0; !stop.get(); i++) {
            var client = throughEdgeUnchecked("127.0.5." + (1 + i % 250));
            int kind = i % 7;
            request(a, () -> switch (kind) {
                case 0 -> client.post(NAMESPACE, ARMED, NodeApi.API_KEY, null, "{\"macs\": [\"" + mac(99)).status();
                case 1 -> client.post(NAMESPACE, ARMED, NodeApi.API_KEY, null, "{\"macs\":[\"" + mac(99) + "\"],\"apiKey\":\"x\"}").status();
                case 2 -> client.post(NAMESPACE, ARMED, NodeApi.API_KEY, null,
                        ("{\"macs\":[\"" + "x".repeat(NodeApi.MAX_BODY_BYTES) + "\"]}").getBytes(StandardCharsets.US_ASCII)).status();
                case 3 -> {
                    var chunks = new StringBuilder();
                    for (int c = 0; c < 10; c++) {
                        chunks.append(Integer.toHexString(8192)).append("\r\n").append("x".repeat(8192)).append("\r\n");
                    }
                    yield client.exchange(ascii("POST " + path + " HTTP/1.1\r\nHost: tether-node-api\r\nConnection: close\r\n"
                            + "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"), ascii(chunks.append("0\r\n\r\n").toString())).status();
                }
                case 4 -> client.exchange(ascii("GET " + path + "/" + "a".repeat(8000) + " HTTP/1.1\r\nHost: tether-node-api\r\n"
                        + "Connection: close\r\n\r\n"), null).status();
                case 5 -> client.exchange(ascii("POST " + path + " HTTP/1.1\r\nHost: tether-node-api\r\nConnection: close\r\n"
                        + "X-Junk: " + "j".repeat(16_000) + "\r\n\r\n"), null).status();
                default -> client.exchange(ascii("POST " + path + " HTTP/1.1\r\nHost: tether-node-api\r\nConnection: close\r\n"
                        + "Content-Length: many\r\n\r\n{}"), null).status();
            });
        }
        return null;
    }

    /**
     * TLS connections through the edge that send part of a request head and then one byte every 200 ms: each byte
     * resets the idle timer, only the request deadline ends them. Counted -1 when the node API closed the connection
     * without an answer, -2 when it was still open after a minute.
     */
    private Void slowHeads(Abuse a, AtomicBoolean stop) throws InterruptedException {
        var open = new java.util.concurrent.Semaphore(SLOW_CONNECTIONS);
        var threads = new ArrayList<Thread>();
        for (int i = 0; !stop.get(); i++) {
            open.acquire();
            if (stop.get()) {
                open.release();
                break;
            }
            String from = "127.0.7." + (1 + i % 250);
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    a.tried.incrementAndGet();
                    requestsTried.incrementAndGet();
                    faultsInjected.incrementAndGet();
                    a.count(trickle(a, from));
                } finally {
                    open.release();
                }
            }));
        }
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(90));
        }
        return null;
    }

    private int trickle(Abuse a, String from) {
        try (var socket = throughEdge(from).connect()) {
            long start = System.nanoTime();
            var closed = new CompletableFuture<Integer>();
            Thread.ofVirtual().start(() -> {
                try {
                    closed.complete(socket.getInputStream().read());
                } catch (IOException e) {
                    closed.complete(-1);
                }
            });
            var out = socket.getOutputStream();
            out.write(ascii("GET " + NodeApi.path(NAMESPACE, nodes.get(0), NodeApi.BOOT_CONFIG) + " HTTP/1.1\r\nHost: tether-node-api\r\n"));
            out.flush();
            while (!closed.isDone() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(60)) {
                Thread.sleep(200);
                try {
                    out.write('x');
                    out.flush();
                } catch (IOException e) {
                    break;
                }
            }
            if (!closed.isDone()) {
                try {
                    closed.get(2, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    return -2;
                }
            }
            a.closeMillis.add((System.nanoTime() - start) / 1_000_000);
            int first = closed.get();
            return first == -1 ? -1 : 999;
        } catch (IOException | java.util.concurrent.ExecutionException e) {
            return -3;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -3;
        }
    }

    /**
     * Bytes that are no TLS, and PROXY headers from whoever may not send one: through the edge (whose own header comes
     * first, so what follows must be TLS), and straight to the node API from an untrusted address and from the edge's.
     */
    private Void garbage(Abuse garbage, Abuse forgedHeaders, AtomicBoolean stop) {
        var edgeApi = new InetSocketAddress("127.0.0.1", edge.apiPort());
        byte[] forged = proxyHeader(honestAddress(0));
        for (int i = 0; !stop.get(); i++) {
            String from = "127.0.6." + (1 + i % 250);
            byte[] junk = new byte[512];
            RANDOM.nextBytes(junk);
            junk[0] = 0x47;
            int kind = i % 6;
            switch (kind) {
                case 0 -> rawExchange(garbage, from, edgeApi, ascii("GET " + NodeApi.path(NAMESPACE, nodes.get(0), NodeApi.BOOT_CONFIG)
                        + " HTTP/1.1\r\nHost: tether-node-api\r\nAuthorization: Bearer " + randomKey() + "\r\n\r\n"));
                case 1 -> rawExchange(garbage, from, edgeApi, junk);
                case 2 -> rawExchange(forgedHeaders, from, server.address(), forged);
                case 3 -> rawExchange(forgedHeaders, from, edgeApi, forged);
                case 4 -> rawExchange(forgedHeaders, "127.0.0.1", server.address(), junk);
                default -> rawExchange(garbage, from, server.address(), junk);
            }
        }
        return null;
    }

    /** Sends the bytes on a plain connection and reads what comes back: an HTTP status, or -1 for closed without one. */
    private void rawExchange(Abuse a, String from, InetSocketAddress to, byte[] bytes) {
        a.tried.incrementAndGet();
        requestsTried.incrementAndGet();
        faultsInjected.incrementAndGet();
        long start = System.nanoTime();
        try (var s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
            s.connect(to, 10_000);
            s.setSoTimeout(30_000);
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            String answer = readAll(s.getInputStream());
            a.closeMillis.add((System.nanoTime() - start) / 1_000_000);
            a.count(answer.startsWith("HTTP/1.") ? Integer.parseInt(answer.substring(9, 12)) : -1);
        } catch (SocketTimeoutException held) {
            a.count(-2);
        } catch (IOException reset) {
            a.closeMillis.add((System.nanoTime() - start) / 1_000_000);
            a.count(-1);
        }
    }

    private static String readAll(InputStream in) throws IOException {
        var all = new ByteArrayOutputStream();
        in.transferTo(all);
        return all.toString(StandardCharsets.ISO_8859_1);
    }

    interface Attempt {
        int status() throws IOException;
    }

    private void request(Abuse a, Attempt attempt) {
        a.tried.incrementAndGet();
        requestsTried.incrementAndGet();
        faultsInjected.incrementAndGet();
        try {
            a.count(attempt.status());
        } catch (IOException closed) {
            a.count(-1);
        }
    }

    private static String randomKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "tk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static byte[] proxyHeader(String client) {
        var encoder = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
        encoder.writeOutbound(new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY, HAProxyProxiedProtocol.TCP4,
                client, "127.0.0.1", 40000, 8443));
        ByteBuf bytes = encoder.readOutbound();
        try {
            return ByteBufUtil.getBytes(bytes);
        } finally {
            bytes.release();
        }
    }

    // ---- measuring ---------------------------------------------------------------------------------

    /** What the mock API server received since the last call (and drains it). */
    private List<RecordedRequest> recordedRequests() throws InterruptedException {
        var requests = new ArrayList<RecordedRequest>();
        for (RecordedRequest r; (r = harness.server.takeRequest(1, TimeUnit.MILLISECONDS)) != null; ) {
            requests.add(r);
        }
        return requests;
    }

    private static String apiServerLoad(List<RecordedRequest> requests) {
        int credentialReads = 0;
        int secretReads = 0;
        int eventWrites = 0;
        for (RecordedRequest r : requests) {
            String path = r.getPath();
            boolean read = "GET".equals(r.getMethod()) && !path.contains("watch=");
            if (read && path.contains("/nodecredentials")) {
                credentialReads++;
            } else if (read && path.contains("/secrets/") && path.contains("api-key")) {
                secretReads++;
            } else if (!"GET".equals(r.getMethod()) && path.contains("/events")) {
                eventWrites++;
            }
        }
        return requests.size() + " in all; NodeCredential reads " + credentialReads + ", API-key Secret reads " + secretReads
                + ", event writes " + eventWrites;
    }

    /** The events the node API wrote, by reason (read after the counts above, so this read is not among them). */
    private String eventsByReason() {
        var byReason = new TreeMap<String, Integer>();
        events().forEach(e -> byReason.merge(e.getReason(), 1, Integer::sum));
        var text = new StringBuilder();
        byReason.forEach((reason, n) -> {
            if (reason.startsWith("NodeApi")) {
                text.append(text.isEmpty() ? "" : ", ").append(n).append(' ').append(reason.substring("NodeApi".length()));
            }
        });
        return text.toString();
    }

    private String proxyRefusals() {
        var text = new StringBuilder();
        for (var c : harness.operator().metrics().find("tether.nodeapi.proxy.refused").counters()) {
            text.append(text.isEmpty() ? "" : ", ").append((long) c.count()).append(' ').append(c.getId().getTag("reason"));
        }
        return text.isEmpty() ? "none" : text.toString();
    }

    private long suppressedEvents() {
        Counter c = harness.operator().metrics().find("tether.nodeapi.events.suppressed").counter();
        return c == null ? 0 : (long) c.count();
    }

    /**
     * The heap's live objects: each heap pool's usage right after a full collection (its collection usage), so what
     * was allocated since does not count and nothing waits. Twice, so what a cleaner freed in the first goes too.
     */
    private static long heapAfterGcMiB() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(pool -> pool.getType() == MemoryType.HEAP)
                .map(MemoryPoolMXBean::getCollectionUsage).filter(Objects::nonNull).mapToLong(MemoryUsage::getUsed).sum() >> 20;
    }

    /** Takes the console appender off the root logger while the floods run; returns how to put it back. */
    private static Runnable quietConsole() {
        var root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Appender<ILoggingEvent> console = root.getAppender("console");
        if (console == null) {
            return () -> { };
        }
        root.detachAppender(console);
        return () -> root.addAppender(console);
    }

    private static CountingAppender countLogLines() {
        var counter = new CountingAppender();
        counter.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(counter);
        return counter;
    }

    static final class CountingAppender extends AppenderBase<ILoggingEvent> {
        final AtomicLong lines = new AtomicLong();

        @Override
        protected void append(ILoggingEvent event) {
            lines.incrementAndGet();
        }

        void detach() {
            ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(this);
            stop();
        }
    }

    private static String statuses(Abuse a) {
        var b = new StringBuilder();
        synchronized (a.statuses) {
            a.statuses.forEach((s, n) -> b.append(b.isEmpty() ? "" : ", ").append(n.get()).append(" x ").append(switch (s) {
                case -1 -> "closed";
                case -2 -> "held open";
                case -3 -> "failed to connect";
                case 999 -> "answered";
                default -> Integer.toString(s);
            }));
        }
        return b.toString();
    }

    private static String closeTimes(Abuse a) {
        long[] sorted = a.closeMillis.stream().mapToLong(Long::longValue).sorted().toArray();
        if (sorted.length == 0) {
            return "-";
        }
        return "median %.1f s, max %.1f s".formatted(sorted[sorted.length / 2] / 1000.0, sorted[sorted.length - 1] / 1000.0);
    }

    private static String served(Load l) {
        var b = new StringBuilder();
        l.statuses().forEach((s, n) -> b.append(b.isEmpty() ? "" : ", ").append(n.get()).append(" x ").append(s));
        return String.format("%d served (%s), %d failed, p50 %.1f ms, p99 %.1f ms, %.0f/s", l.served(), b, l.failures().size(),
                l.p50Millis(), l.p99Millis(), l.tried() / l.seconds());
    }

    private static double percentile(long[] sorted, double q) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private void row(String what, String thrown, String did) {
        rows.add(new String[] {what, thrown, did});
    }
}
