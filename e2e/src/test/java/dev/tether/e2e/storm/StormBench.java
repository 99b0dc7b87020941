package dev.tether.e2e.storm;

import static org.awaitility.Awaitility.await;

import dev.tether.agent.AgentConsole;
import dev.tether.agent.image.FetchSettings;
import dev.tether.agent.image.TetheredSettings;
import dev.tether.agent.trust.ApiKey;
import dev.tether.agent.trust.NodeApiClient;
import dev.tether.agent.trust.NodeApiTls;
import dev.tether.dev.Commands;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.NodeApi;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The boot storm (issue #15): N simulated nodes power on at once and boot through the real servers, each in a process
 * of its own (the in-memory Kubernetes API with the operator and its node API; one origin; three edges whose caches
 * start empty, each behind its own shaped link), then the same N boot the reference design's way from one nginx on one
 * such link. Prints a table per N, Tether and the baseline side by side, appends each run to a results file and draws
 * time to root against N from it. Run by {@code e2e/bench/storm/run.sh} inside its own network namespace, as root.
 *
 * <p>Settings (environment): {@code STORM_N} (comma-separated, default 50), {@code STORM_EDGE_LINK} (each server's
 * link, default 1gbit), {@code STORM_TIME_SCALE} (the trace's pauses scaled by this, default 0.1),
 * {@code STORM_ARMED_PERCENT} (nodes whose credential is armed and fetch their key over the network, default 10),
 * {@code STORM_BASELINE} (false skips it), {@code STORM_RESULTS} and {@code STORM_SVG} (where runs and the plot go).
 */
public final class StormBench {
    /** Where the simulated nodes' connections come from: an address of no server's link. */
    private static final String NODES_ADDRESS = "10.213.1.1";
    /** What a node's agent holds in direct memory: its 9.6 MiB chunk cache, the chunks and sealed runs in flight. */
    private static final long PRETOUCH_PER_NODE = 12L << 20;
    private static final long PRETOUCH_LIMIT = 8L << 30;
    private static final int PRETOUCH_BUFFER = 64 << 10;
    /** How often the links' and CPUs' use is sampled through a storm (StormWindows). */
    private static final long WINDOW_MILLIS = 5_000;
    private static final List<String> EDGE_ADDRESSES = List.of("10.213.0.1", "10.213.0.2", "10.213.0.3");
    private static final String BASELINE_ADDRESS = "10.213.0.100";
    /** Every server's own address, each with a link of its own (HTB class 1:1, 1:2… in this order). */
    private static final List<String> SERVER_ADDRESSES = java.util.stream.Stream
            .concat(EDGE_ADDRESSES.stream(), java.util.stream.Stream.of(BASELINE_ADDRESS)).toList();
    private static final int EDGE_PORT = 8080;
    private static final int API_PORT = 8443;
    private static final int ORIGIN_PORT = 18080;
    private static final int NODE_API_PORT = 18443;
    private static final String TOKEN = "storm-origin-token";
    private static final Pattern SENT = Pattern.compile("(?m)^tether_http_sent_bytes_total(?:\\{[^}]*})? ([0-9.Ee+]+)$");
    private static final Pattern FILLED = Pattern.compile("(?m)^tether_cache_filled_bytes_total(?:\\{[^}]*})? ([0-9.Ee+]+)$");

    private final Path work;
    private final String link;
    private final double timeScale;
    private final int armedPercent;
    private final TraceReplay trace;
    private final PrintStream console;
    private final HttpClient http = HttpClient.newHttpClient();
    private StormArtifacts artifacts;
    private Percentiles lastLag = Percentiles.NONE;
    private HostKeyPool hostKeys;

    private StormBench(Path work) throws IOException {
        this.work = work;
        this.link = env("STORM_EDGE_LINK", "1gbit");
        this.timeScale = Double.parseDouble(env("STORM_TIME_SCALE", "0.1"));
        this.armedPercent = Integer.parseInt(env("STORM_ARMED_PERCENT", "10"));
        this.trace = TraceReplay.sample(timeScale);
        this.console = new PrintStream(Files.newOutputStream(work.resolve("nodes-console.log"), StandardOpenOption.CREATE,
                StandardOpenOption.APPEND), true, StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        Path work = Files.createDirectories(Path.of(args.length > 0 ? args[0] : "/tmp/tether-storm"));
        List<Integer> sizes = Arrays.stream(env("STORM_N", "50").split(",")).map(String::strip).map(Integer::parseInt).toList();
        Path results = Path.of(env("STORM_RESULTS", work.resolve("storm-results.jsonl").toString()));
        var bench = new StormBench(work);
        bench.network();
        bench.artifacts = StormArtifacts.prepare(work.resolve("artifacts"), bench.trace.end());
        bench.hostKeys = new HostKeyPool(8);
        pretouchDirectMemory(sizes.stream().mapToInt(Integer::intValue).max().orElse(0));
        System.out.printf(Locale.ROOT, "storm: %d cores; trace of %d reads, %.1f MiB, %d of %d chunks of %d KiB, pauses x%s (%.1f s);"
                        + " host keys made by a node here: %s ms%n", Runtime.getRuntime().availableProcessors(),
                bench.trace.reads().size(), bench.trace.bytesRead() / 1048576.0, bench.trace.chunksTouched(bench.artifacts.chunkSize()),
                bench.artifacts.chunkCount(), bench.artifacts.chunkSize() >> 10, bench.timeScale,
                bench.trace.pauseFloorMillis() / 1000.0, bench.hostKeys.generationMillis());
        try (ServerProcess origin = ServerProcess.jvm("origin", "512m", work.resolve("origin.log"), "origin",
                fresh(work.resolve("origin")).toString(), TOKEN, "127.0.0.1", Integer.toString(ORIGIN_PORT));
             ServerProcess nginx = bench.nginx()) {
            bench.artifacts.upload("http://127.0.0.1:" + ORIGIN_PORT, TOKEN);
            for (int n : sizes) {
                StormRun tether = bench.tetherStorm(n, origin);
                tether.appendTo(results);
                StormRun baseline = env("STORM_BASELINE", "true").equals("false") ? null : bench.baselineStorm(n, nginx);
                if (baseline != null) {
                    baseline.appendTo(results);
                    String table = StormTable.render(tether, baseline);
                    System.out.println(table);
                    Files.writeString(work.resolve("storm-tables.txt"), table + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                } else {
                    String table = StormTable.render(tether, null);
                    System.out.println(table);
                    Files.writeString(work.resolve("storm-tables.txt"), table + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                }
            }
        }
        List<StormRun> all = StormRun.readAll(results);
        Path svg = Path.of(env("STORM_SVG", work.resolve("storm.svg").toString()));
        Files.writeString(svg, ScalePlot.svg(all, "Boot storm: time to root against N (" + bench.link + " per server)"));
        System.out.println("results: " + results + ", plot: " + svg);
        System.exit(0);
    }

    /**
     * Touches, once before the storms, the native memory the nodes' chunk buffers will take, so that they take it
     * from glibc's free lists rather than from pages the kernel has yet to map.
     *
     * <p>This machine is a virtual machine whose memory is backed at first touch: fresh 64 KiB direct buffers fill at
     * 327 MiB/s, memory touched before at 1.9-2.4 GiB/s. Each node's agent fills a 9.6 MiB chunk cache from empty, and
     * in a JFR recording of the nodes' JVM at N=500, 38% of its samples were zeroing new direct buffers: a real node
     * pays that once for its 12 MiB, on its own CPU; 500 simulated nodes paid it on this machine's two. run.sh has
     * glibc keep what is freed here (one arena, no trimming, no separate mappings below 8 MiB); the servers' JVMs keep
     * glibc's defaults ({@link ServerProcess}).
     */
    private static void pretouchDirectMemory(int nodes) throws InterruptedException {
        long bytes = Math.min(nodes * PRETOUCH_PER_NODE, PRETOUCH_LIMIT);
        long t0 = System.nanoTime();
        List<ByteBuffer> held = new ArrayList<>();
        for (long touched = 0; touched < bytes; touched += PRETOUCH_BUFFER) {
            held.add(ByteBuffer.allocateDirect(PRETOUCH_BUFFER));
        }
        held.clear();
        // The buffers' memory goes back to glibc when the collector has found them unreachable and their cleaners ran.
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct")).findFirst().orElseThrow();
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200)).until(() -> {
            System.gc();
            return direct.getMemoryUsed() < PRETOUCH_BUFFER * 64L;
        });
        System.out.printf(Locale.ROOT, "nodes' JVM: %d MiB of direct memory touched before the storm in %.1f s%n",
                bytes >> 20, (System.nanoTime() - t0) / 1e9);
    }

    /** The HTB class of the link of the server at {@code address}: the edges' 1:1 to 1:3, the baseline's 1:4. */
    static String linkClass(String address) {
        int index = SERVER_ADDRESSES.indexOf(address);
        if (index < 0) {
            throw new IllegalArgumentException("no server of the storm has the address " + address);
        }
        return "1:" + (index + 1);
    }

    /** Each server's own address on loopback, and its own link: an HTB class matching its address. */
    private void network() throws IOException, InterruptedException {
        Commands.run("ip", "link", "set", "lo", "up");
        Commands.run("ip", "addr", "add", NODES_ADDRESS + "/32", "dev", "lo");
        for (String address : SERVER_ADDRESSES) {
            Commands.run("ip", "addr", "add", address + "/32", "dev", "lo");
            // The nodes' packets to a server (requests, and the ACKs of every download) leave from the nodes' own
            // address, so that they do not queue on the server's shaped link as its replies do: a real node sends them
            // on its own uplink. By default a connection to a local address leaves from that same address.
            Commands.run("ip", "route", "change", "local", address, "dev", "lo", "table", "local", "proto", "kernel", "scope", "host",
                    "src", NODES_ADDRESS);
        }
        if (link.equals("none")) {
            return;
        }
        Commands.run("tc", "qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "ffff", "r2q", "1000");
        Commands.run("tc", "class", "add", "dev", "lo", "parent", "1:", "classid", "1:ffff", "htb", "rate", "100gbit");
        for (String address : SERVER_ADDRESSES) {
            String classId = linkClass(address);
            Commands.run("tc", "class", "add", "dev", "lo", "parent", "1:", "classid", classId, "htb", "rate", link, "ceil", link);
            Commands.run("tc", "filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
                    "match", "ip", "src", address + "/32", "flowid", classId);
            // The link's queue as a server NIC's is by default where nothing sets fq_codel: pfifo_fast, whose first band
            // (low-delay packets: the edges' node API relays) goes before the rest. HTB's own leaf would be one FIFO for
            // every packet. Both hold lo's 1,000 packets of up to 64 KiB: half a second at 1 Gbit in a storm.
            Commands.run("tc", "qdisc", "add", "dev", "lo", "parent", classId, "pfifo_fast");
        }
    }

    private ServerProcess nginx() throws IOException, InterruptedException {
        Path dir = fresh(work.resolve("nginx"));
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.createLink(root.resolve("vmlinuz"), artifacts.kernel());
        Files.createLink(root.resolve("initrd.img"), artifacts.initramfs());
        Files.createLink(root.resolve("root.sfs"), artifacts.squashfs());
        Files.createDirectories(dir.resolve("logs"));
        Path conf = Files.writeString(dir.resolve("nginx.conf"), """
                daemon off;
                worker_processes auto;
                pid %1$s/nginx.pid;
                error_log %1$s/logs/error.log warn;
                events { worker_connections 4096; }
                http {
                    access_log off;
                    sendfile on;
                    tcp_nopush on;
                    keepalive_requests 1000000;
                    keepalive_timeout 300s;
                    client_body_temp_path %1$s/tmp;
                    server { listen %2$s:%3$d; root %4$s; }
                }
                """.formatted(dir, BASELINE_ADDRESS, EDGE_PORT, root));
        ServerProcess nginx = ServerProcess.start("nginx", "-", List.of("nginx", "-c", conf.toString(), "-p", dir.toString()),
                work.resolve("nginx.log"), false);
        HttpRequest head = HttpRequest.newBuilder(URI.create("http://" + BASELINE_ADDRESS + ":" + EDGE_PORT + "/vmlinuz"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptionsInstanceOf(IOException.class)
                    .until(() -> http.send(head, HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
            return nginx;
        } catch (ConditionTimeoutException e) {
            nginx.close();
            throw new IOException("nginx did not start: see " + work.resolve("nginx.log"));
        }
    }

    private StormRun tetherStorm(int n, ServerProcess origin) throws Exception {
        Path dir = fresh(work.resolve("n" + n));
        List<ServerProcess> edges = new ArrayList<>();
        List<String> bootDirs = new ArrayList<>();
        ServerProcess cluster = null;
        try {
            for (int i = 0; i < EDGE_ADDRESSES.size(); i++) {
                bootDirs.add(Files.createDirectories(dir.resolve("edge-" + i).resolve("boot")).toString());
            }
            Path caPem = dir.resolve("node-api-ca.pem");
            var config = new StormCluster.Config("http://127.0.0.1:" + ORIGIN_PORT, TOKEN, n, EDGE_ADDRESSES, EDGE_PORT, API_PORT,
                    bootDirs, NODE_API_PORT, caPem.toString(), artifacts.imageDigest(), artifacts.kernelDigest(),
                    artifacts.initramfsDigest(), artifacts.rootImageDigest(), Files.size(artifacts.rootImage()),
                    Files.size(artifacts.squashfs()), artifacts.keyHex());
            Path configFile = dir.resolve("cluster.json");
            config.write(configFile);
            long t0 = System.nanoTime();
            cluster = ServerProcess.jvm("operator + in-memory k8s API", "2g", dir.resolve("cluster.log"), "cluster", configFile.toString());
            System.out.printf(Locale.ROOT, "N=%d: cluster ready with %d credentials in %.1f s%n", n, n, (System.nanoTime() - t0) / 1e9);
            ApiKey[] sealed = sealedKeys(n, caPem);
            // The edges start now, caches empty, with the boot files the cluster wrote for them: they begin their
            // publication prefetch as the nodes power on, as when a site's edges come back with its nodes. What the origin
            // sends from here on is counted; the edges' own counters start at zero.
            long originBefore = sum(SENT, metrics("http://127.0.0.1:" + ORIGIN_PORT));
            edges.addAll(startEdges(dir));
            for (String address : EDGE_ADDRESSES) {
                awaitBootScript(address);
            }

            var shared = new TetherNode.Shared(trace, nodeSettings(), hostKeys, new AgentConsole(console, Optional.empty(), false), dir);
            List<ServerProcess> servers = new ArrayList<>(List.of(cluster, origin));
            servers.addAll(edges);
            Path apiRequests = StormCluster.apiRequestsFile(caPem);
            long apiBefore = Long.parseLong(Files.readString(apiRequests).strip());
            NodeApiStats nodeApiBefore = NodeApiStats.read(StormCluster.nodeApiStatsFile(caPem));
            Snapshot before = snapshot(servers, null, List.of());
            Map<String, List<ServerProcess>> parts = new LinkedHashMap<>();
            parts.put("operator + in-memory k8s API", List.of(cluster));
            parts.put("edges", List.copyOf(edges));
            parts.put("origin", List.of(origin));
            List<NodeOutcome> outcomes = storm(n, EDGE_ADDRESSES, parts, i -> new TetherNode(i,
                    URI.create("http://" + EDGE_ADDRESSES.get(i % EDGE_ADDRESSES.size()) + ":" + EDGE_PORT), sealed[i],
                    shared).boot());
            Snapshot after = snapshot(servers, origin, edges);
            // The cluster rewrites the request counts five times a second, the statistics after the count: wait for a
            // rewrite of both that began after the storm.
            FileTime stormEnded = FileTime.from(Instant.now());
            Path nodeApiStats = StormCluster.nodeApiStatsFile(caPem);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> Files.getLastModifiedTime(nodeApiStats).compareTo(stormEnded) > 0
                            && Files.getLastModifiedTime(apiRequests).compareTo(stormEnded) > 0);
            long apiDuring = Long.parseLong(Files.readString(apiRequests).strip()) - apiBefore;
            NodeApiStats nodeApiDuring = NodeApiStats.read(nodeApiStats).minus(nodeApiBefore);
            List<Long> filled = new ArrayList<>();
            List<Long> served = new ArrayList<>();
            for (int i = 0; i < edges.size(); i++) {
                filled.add(after.filled.get(i));
                served.add(after.sent.get(i));
            }
            return run(StormRun.TETHER, n, outcomes, before, after, servers, after.originSent - originBefore, filled, served,
                    EDGE_ADDRESSES.size(), apiDuring, nodeApiDuring);
        } finally {
            if (cluster != null) {
                cluster.close();
            }
            edges.forEach(ServerProcess::close);
        }
    }

    private StormRun baselineStorm(int n, ServerProcess nginx) throws Exception {
        URI server = URI.create("http://" + BASELINE_ADDRESS + ":" + EDGE_PORT);
        List<ServerProcess> servers = List.of(nginx);
        Snapshot before = snapshot(servers, null, List.of());
        List<NodeOutcome> outcomes = storm(n, List.of(BASELINE_ADDRESS), Map.of("nginx", servers),
                i -> new BaselineNode(i, server, "/vmlinuz", "/initrd.img", "/root.sfs", trace).boot());
        Snapshot after = snapshot(servers, null, List.of());
        long sent = outcomes.stream().mapToLong(NodeOutcome::bytes).sum();
        return run(StormRun.BASELINE, n, outcomes, before, after, servers, -1, List.of(), List.of(sent), 1, -1, null);
    }

    /** The three edges at once, each in its own JVM, on their own addresses; peers are the edges before them. */
    private List<ServerProcess> startEdges(Path dir) throws Exception {
        List<Future<ServerProcess>> starting = new ArrayList<>();
        try (ExecutorService starter = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < EDGE_ADDRESSES.size(); i++) {
                Path edgeDir = dir.resolve("edge-" + i);
                List<String> args = new ArrayList<>(List.of("edge", edgeDir.toString(), EDGE_ADDRESSES.get(i), Integer.toString(EDGE_PORT),
                        Integer.toString(API_PORT), "http://127.0.0.1:" + ORIGIN_PORT, Integer.toString(NODE_API_PORT)));
                for (int j = 0; j < i; j++) {
                    args.add("http://" + EDGE_ADDRESSES.get(j) + ":" + EDGE_PORT);
                }
                String name = "edge " + i;
                Path log = dir.resolve("edge-" + i + ".log");
                starting.add(starter.submit(() -> ServerProcess.jvm(name, "512m", log, args.toArray(String[]::new))));
            }
        }
        List<ServerProcess> edges = new ArrayList<>();
        for (Future<ServerProcess> f : starting) {
            edges.add(f.get());
        }
        return edges;
    }

    /** Until the edge has loaded its boot files (it polls them every second) and answers node 0 with a kernel. */
    private void awaitBootScript(String address) throws IOException, InterruptedException {
        HttpRequest script = HttpRequest.newBuilder(URI.create("http://" + address + ":" + EDGE_PORT + "/boot/ipxe?mac="
                + StormCluster.mac(0))).build();
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> http.send(script, HttpResponse.BodyHandlers.ofString()).body().contains("\nkernel "));
        } catch (ConditionTimeoutException e) {
            throw new IOException("edge " + address + " did not load its boot files");
        }
    }

    /** The reader as a node's agent runs it: the cache a node's launcher gives it (48 MiB of direct memory, a fifth). */
    private TetheredSettings nodeSettings() {
        return TetheredSettings.defaults().withCacheBytes((48L << 20) / 5)
                .withFetch(FetchSettings.defaults().withConsole(line -> console.println("[reader] " + line)));
    }

    /** The keys of the nodes not armed: fetched before the storm, as the key a node's TPM holds from an earlier boot. */
    private ApiKey[] sealedKeys(int n, Path caPem) throws Exception {
        ApiKey[] keys = new ApiKey[n];
        int armedEvery = armedPercent <= 0 ? Integer.MAX_VALUE : Math.max(1, 100 / armedPercent);
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (i % armedEvery == 0) {
                    continue;
                }
                int index = i;
                done.add(pool.submit(() -> {
                    var api = new NodeApiClient(List.of(URI.create("https://127.0.0.1:" + NODE_API_PORT)), StormCluster.NAMESPACE,
                            StormCluster.nodeName(index), NodeApiTls.context(caPem, NodeApi.SERVER_NAME), NodeApiClient.Settings.DEFAULT,
                            NodeApiClient.Sleeper.REAL, new AgentConsole(console, Optional.empty(), false));
                    keys[index] = ApiKey.of(api.requestApiKey(new ArmingRequest(List.of(StormCluster.mac(index)), null)).apiKey());
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        return keys;
    }

    @FunctionalInterface
    private interface Boot {
        NodeOutcome boot(int index);
    }

    /**
     * All {@code n} nodes at once, each on a virtual thread, as a rack's power coming back. Beside them a probe sleeps
     * 50 ms at a time on a virtual thread of its own and records how late it wakes: what every latency a node measures
     * includes on this machine (its CPUs shared by all simulated nodes and the servers), and a real node would not.
     */
    private List<NodeOutcome> storm(int n, List<String> servers, Map<String, List<ServerProcess>> parts, Boot boot)
            throws Exception {
        List<Future<NodeOutcome>> futures = new ArrayList<>();
        List<Long> lags = java.util.Collections.synchronizedList(new ArrayList<>());
        var probing = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread probe = Thread.ofVirtual().name("scheduling-lag-probe").start(() -> {
            while (probing.get()) {
                long t0 = System.nanoTime();
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
                lags.add((System.nanoTime() - t0) / 1_000_000 - 50);
            }
        });
        // The links', the CPUs' and each part's CPU use, window by window: where the storm is bound at each moment and who
        // holds the CPUs then (StormWindows). Sampled at a fixed rate on a platform thread, so that the samples do not
        // wait behind the nodes' virtual threads.
        List<StormWindows.Sample> windows = java.util.Collections.synchronizedList(new ArrayList<>());
        var windowSampler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("storm-window-sampler").factory());
        windowSampler.scheduleAtFixedRate(() -> {
            try {
                windows.add(windowSample(parts));
            } catch (IOException e) {
                System.out.println("a window of the storm not sampled: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, 0, WINDOW_MILLIS, TimeUnit.MILLISECONDS);
        NodeApiThreads.collectorAsNiceAsTheServers();
        NetworkCounters networkBefore = NetworkCounters.read();
        try (ExecutorService nodes = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                int index = i;
                futures.add(nodes.submit(() -> boot.boot(index)));
            }
            List<NodeOutcome> outcomes = new ArrayList<>();
            for (Future<NodeOutcome> f : futures) {
                outcomes.add(f.get(60, TimeUnit.MINUTES));
            }
            return outcomes;
        } finally {
            probing.set(false);
            probe.join();
            windowSampler.shutdownNow();
            windowSampler.awaitTermination(1, TimeUnit.MINUTES);
            // The last window ends with the storm, however short.
            windows.add(windowSample(parts));
            System.out.println("N=" + n + " network during the storm: " + NetworkCounters.read().minus(networkBefore).describe());
            synchronized (windows) {
                var during = StormWindows.of(WINDOW_MILLIS, Runtime.getRuntime().availableProcessors(),
                        servers.stream().map(StormBench::linkClass).toList(), windows);
                during.describe().forEach(line -> System.out.println("N=" + n + " " + line));
            }
            synchronized (lags) {
                lastLag = Percentiles.of(lags.stream().mapToLong(Long::longValue).toArray());
            }
        }
    }

    private record Snapshot(long nanos, Map<String, Long> cpu, long ownCpu, long[] machine, long originSent, List<Long> sent,
            List<Long> filled) {
    }

    private Snapshot snapshot(List<ServerProcess> servers, ServerProcess origin, List<ServerProcess> edges) throws Exception {
        Map<String, Long> cpu = new HashMap<>();
        for (ServerProcess server : servers) {
            cpu.put(server.name(), server.cpuNanos());
            server.resetPeak();
        }
        List<Long> sent = new ArrayList<>();
        List<Long> filled = new ArrayList<>();
        for (int i = 0; i < edges.size(); i++) {
            String metrics = metrics("http://" + EDGE_ADDRESSES.get(i) + ":" + EDGE_PORT);
            sent.add(sum(SENT, metrics));
            filled.add(sum(FILLED, metrics));
        }
        long originSent = origin == null ? 0 : sum(SENT, metrics("http://127.0.0.1:" + ORIGIN_PORT));
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return new Snapshot(System.nanoTime(), cpu, os.getProcessCpuTime(), machineTicks(), originSent, sent, filled);
    }

    private StormRun run(String system, int n, List<NodeOutcome> outcomes, Snapshot before, Snapshot after,
            List<ServerProcess> servers, long originSent, List<Long> filled, List<Long> served, int links, long apiRequests,
            NodeApiStats nodeApi) throws IOException {
        long[] booted = outcomes.stream().filter(NodeOutcome::booted).mapToLong(NodeOutcome::timeToRootMillis).toArray();
        Map<String, List<Long>> byKind = new HashMap<>();
        outcomes.forEach(o -> o.latencies().forEach((k, v) -> byKind.computeIfAbsent(k, x -> new ArrayList<>()).add(v)));
        Map<String, Percentiles> endpoints = new HashMap<>();
        byKind.forEach((k, v) -> endpoints.put(k, Percentiles.of(v.stream().mapToLong(Long::longValue).toArray())));
        long bytes = outcomes.stream().mapToLong(NodeOutcome::bytes).sum();
        double rate = linkBytesPerSecond(link) * links;
        // No schedule beats either: all the bytes over all the links; or every node's kernel and initramfs over them,
        // after which the last node still has the trace's pauses ahead of it.
        long preMount = n * (Files.size(artifacts.kernel()) + Files.size(artifacts.initramfs()));
        long bound = Double.isInfinite(rate) ? trace.pauseFloorMillis()
                : Math.max(Math.round(bytes / rate * 1000), Math.round(preMount / rate * 1000) + trace.pauseFloorMillis());
        List<StormRun.ServerCost> costs = new ArrayList<>();
        for (ServerProcess server : servers) {
            costs.add(server.cost(before.cpu.get(server.name())));
        }
        long busy = after.machine[0] - before.machine[0];
        long total = after.machine[1] - before.machine[1];
        List<String> failures = outcomes.stream().filter(o -> !o.booted()).map(NodeOutcome::error).limit(5).toList();
        return new StormRun(system, n, (int) outcomes.stream().filter(o -> !o.booted()).count(), (after.nanos - before.nanos) / 1e9,
                Percentiles.of(booted), endpoints, bytes / Math.max(1, n), bound, trace.pauseFloorMillis(),
                artifacts.publishedBytes(), originSent, filled, served, costs, (after.ownCpu - before.ownCpu) / 1e6 / n,
                total == 0 ? 0 : busy / (double) total, Runtime.getRuntime().availableProcessors(), link + " per server link, pauses x" + timeScale,
                outcomes.stream().mapToLong(o -> o.fetch()[0]).sum(), outcomes.stream().mapToLong(o -> o.fetch()[1]).sum(),
                outcomes.stream().mapToLong(o -> o.fetch()[2]).sum(), apiRequests, lastLag, failures, nodeApi);
    }

    private String metrics(String base) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static long sum(Pattern counter, String metrics) {
        long total = 0;
        for (Matcher m = counter.matcher(metrics); m.find(); ) {
            total += (long) Double.parseDouble(m.group(1));
        }
        return total;
    }

    /** The links, the CPUs, and the CPU time of this JVM (the nodes) and of each part's processes, now. */
    private static StormWindows.Sample windowSample(Map<String, List<ServerProcess>> parts)
            throws IOException, InterruptedException {
        long nanos = System.nanoTime();
        long[] ticks = machineTicks();
        Map<String, Long> cpu = new LinkedHashMap<>();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        cpu.put("the nodes", os.getProcessCpuTime());
        for (var part : parts.entrySet()) {
            long sum = 0;
            for (ServerProcess process : part.getValue()) {
                sum += process.cpuNanos();
            }
            cpu.put(part.getKey(), sum);
        }
        return new StormWindows.Sample(nanos, StormWindows.parse(Commands.run("tc", "-s", "class", "show", "dev", "lo")), ticks[0],
                ticks[1], cpu);
    }

    /** Busy and total ticks of all CPUs (idle and iowait are not busy). */
    private static long[] machineTicks() throws IOException {
        String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < fields.length; i++) {
            total += Long.parseLong(fields[i]);
        }
        return new long[] {total - Long.parseLong(fields[4]) - Long.parseLong(fields[5]), total};
    }

    /** tc's rate spelling ({@code 1gbit}, {@code 500mbit}) in bytes per second; infinite for {@code none}. */
    static double linkBytesPerSecond(String rate) {
        Matcher m = Pattern.compile("([0-9.]+)([kmg]?)bit").matcher(rate.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return Double.POSITIVE_INFINITY;
        }
        double bits = Double.parseDouble(m.group(1)) * switch (m.group(2)) {
            case "k" -> 1e3;
            case "m" -> 1e6;
            case "g" -> 1e9;
            default -> 1;
        };
        return bits / 8;
    }

    private static Path fresh(Path dir) throws IOException, InterruptedException {
        if (Files.exists(dir)) {
            Commands.run("rm", "-rf", dir.toString());
        }
        return Files.createDirectories(dir);
    }

    private static String env(String name, String otherwise) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? otherwise : value;
    }
}
