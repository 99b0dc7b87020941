package dev.tether.operator.nodeapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageStatus;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.content.metrics.ServerMetrics;
import dev.tether.operator.image.BuildMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The chart's Grafana dashboard against a real Prometheus (Debian's prometheus package): Prometheus scrapes the
 * operator's and an edge's registries, fed as boots, builds and edge requests feed them, and every query of the
 * dashboard must return data. The metric names are those of the running code (BootMetrics, BuildMetrics,
 * ServerMetrics); the edge's target carries the labels the chart's PodMonitor gives it.
 */
class DashboardQueriesTest {
    private static final Path DASHBOARD = repositoryRoot().resolve("helm/tether/files/grafana/tether-dashboard.json");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyDashboardQueryReturnsData() throws Exception {
        boolean present = Files.isExecutable(Path.of("/usr/bin/prometheus"));
        if (!present) {
            System.err.println("SKIPPED DashboardQueriesTest: prometheus is not installed (apt-get install prometheus)");
        }
        Assumptions.assumeTrue(present, "SKIPPED: prometheus is not installed (apt-get install prometheus)");

        var operator = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        var boots = new BootMetrics(operator);
        var builds = new BuildMetrics(operator);
        var edge = new ServerMetrics("edge");
        Semaphore operatorScraped = new Semaphore(0);
        Semaphore edgeScraped = new Semaphore(0);
        HttpServer operatorTarget = serve(operator::scrape, operatorScraped);
        HttpServer edgeTarget = serve(edge::scrape, edgeScraped);
        Path dir = Files.createTempDirectory("prometheus");
        int port = freePort();
        Files.writeString(dir.resolve("prometheus.yml"), """
                global: {scrape_interval: 1s, evaluation_interval: 1s}
                scrape_configs:
                  - job_name: operator
                    static_configs: [{targets: ["127.0.0.1:%d"]}]
                  - job_name: edges
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                        labels: {app_kubernetes_io_component: edge, namespace: hpc, pod: compute-edge-x1, tether_dev_profile: compute}
                """.formatted(operatorTarget.getAddress().getPort(), edgeTarget.getAddress().getPort()));
        Process prometheus = new ProcessBuilder("/usr/bin/prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        try {
            var queries = queries();
            assertThat(queries).as("queries in the dashboard").hasSizeGreaterThanOrEqualTo(8);
            var empty = new LinkedHashMap<String, String>();
            Instant deadline = Instant.now().plusSeconds(60);
            for (int round = 0; ; round++) {
                feed(boots, builds, edge, round);
                // A round ends once Prometheus scraped both targets after its feed: rate() needs a few samples.
                awaitScrape(operatorScraped, "operator");
                awaitScrape(edgeScraped, "edge");
                if (round < 4) {
                    continue;
                }
                empty.clear();
                for (var query : queries.entrySet()) {
                    JsonNode answer = query(port, query.getValue());
                    if (answer == null || !"success".equals(answer.path("status").asText()) || answer.path("data").path("result").isEmpty()) {
                        empty.put(query.getKey(), answer == null ? "Prometheus not answering yet" : answer.toString());
                    }
                }
                if (empty.isEmpty() || Instant.now().isAfter(deadline)) {
                    break;
                }
            }
            assertThat(queries).as("every query was asked").isNotEmpty();
            assertThat(empty).as("dashboard queries without data (prometheus log: %s)", dir.resolve("prometheus.log")).isEmpty();
        } finally {
            prometheus.destroy();
            prometheus.waitFor();
            operatorTarget.stop(0);
            edgeTarget.stop(0);
        }
    }

    /** One more round of what a running system records: a boot per profile, a finished build, edge traffic. */
    private static void feed(BootMetrics boots, BuildMetrics builds, ServerMetrics edge, int round) {
        for (String profile : List.of("compute", "login")) {
            var boot = new NodeCredentialStatus.LastBoot();
            boot.phaseMillis = new LinkedHashMap<>(Map.of("tpm", 180L, "network", 950L, "mount", 2400L + round));
            boot.fetch = new NodeCredentialStatus.Fetch();
            boot.fetch.requests = 40L;
            boot.fetch.hedges = 1L;
            boot.fetch.edgeFailures = round % 2L;
            boot.fetch.integrityFailures = 0L;
            boot.fetch.bytes = 41_943_040L;
            boots.record("hpc", profile + "-node-1", profile, "tethered", boot);
        }
        var image = new DisklessImage();
        image.getMetadata().setName("bookworm");
        image.getMetadata().setNamespace("hpc");
        image.getMetadata().setUid("uid-1");
        var build = new DisklessImageStatus.Build();
        build.generation = (long) round + 1;
        build.jobName = "bookworm-build-g" + build.generation;
        builds.finished(image, build, round % 3 != 0, Duration.ofSeconds(300));
        for (int i = 0; i < 10; i++) {
            edge.request("GET", 206, 1 << 20);
            if (i % 4 == 0) {
                edge.cacheMiss();
            } else {
                edge.cacheHit();
            }
        }
    }

    /** Each panel target's query, with Grafana's variables as a dashboard showing everything would set them. */
    private static Map<String, String> queries() throws IOException {
        var found = new LinkedHashMap<String, String>();
        var targets = new ArrayList<JsonNode>();
        JSON.readTree(DASHBOARD.toFile()).path("panels").forEach(panel -> panel.path("targets").forEach(target -> {
            targets.add(target);
            found.put(panel.path("title").asText() + " " + target.path("refId").asText(), target.path("expr").asText()
                    .replace("$__rate_interval", "1m").replace("$namespace", ".*").replace("$profile", ".*").replace("$node", "compute-node-1"));
        }));
        return found;
    }

    private static JsonNode query(int port, String promql) {
        try {
            var response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                            + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(response.body());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static void awaitScrape(Semaphore scraped, String target) throws InterruptedException {
        scraped.drainPermits();
        assertThat(scraped.tryAcquire(60, TimeUnit.SECONDS)).as("Prometheus scraped the %s target within a minute", target)
                .isTrue();
    }

    /** A scrape target serving {@code scrape}, releasing {@code scraped} after each scrape it answered. */
    private static HttpServer serve(Supplier<String> scrape, Semaphore scraped) throws IOException {
        var server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
        server.createContext("/metrics", exchange -> {
            byte[] body = scrape.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
            scraped.release();
        });
        server.start();
        return server;
    }

    private static int freePort() throws IOException {
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
            dir = dir.getParent();
        }
        return dir;
    }
}
