package dev.tether.operator;

import com.sun.net.httpserver.HttpServer;
import dev.tether.operator.credential.CredentialsByNodeName;
import dev.tether.operator.credential.NodeCredentialReconciler;
import dev.tether.operator.image.DisklessImageReconciler;
import dev.tether.operator.image.ImageUsage;
import dev.tether.operator.image.OriginClient;
import dev.tether.operator.image.UploadToken;
import dev.tether.operator.nodeapi.NodeApiServer;
import dev.tether.operator.nodeapi.NodeApiService;
import dev.tether.operator.profile.NodeProfileReconciler;
import dev.tether.operator.trust.HostKeySigner;
import dev.tether.operator.trust.NodeTrust;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the Tether operator: the three reconcilers, the node API and the health endpoints. */
public final class TetherOperator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TetherOperator.class);

    private final Operator operator;
    private final KubernetesClient client;
    private final OperatorConfig config;
    private final MeterRegistry metrics;
    private final NodeTrust trust;
    private final CredentialsByNodeName credentials = new CredentialsByNodeName();
    private volatile NodeApiServer nodeApi;

    public TetherOperator(KubernetesClient client, OperatorConfig config) {
        this(client, config, new SimpleMeterRegistry());
    }

    public TetherOperator(KubernetesClient client, OperatorConfig config, MeterRegistry metrics) {
        this.client = client;
        this.config = config;
        this.metrics = metrics;
        UploadToken.ensure(client, config);
        try {
            UploadToken.removeNamespaceCopies(client, config);
        } catch (RuntimeException e) {
            LOG.warn("could not remove old copies of the origin's token from the namespaces (delete the Secrets named"
                    + " tether-origin-upload by hand): {}", e.getMessage());
        }
        this.trust = NodeTrust.loadOrCreate(client, config.operatorNamespace(), config.nodeApi());
        var origin = new OriginClient(config.originUrl(), () -> UploadToken.read(client, config));
        // One write path everywhere: JSON patches and plain create/update, not server-side apply,
        // so what the tests exercise against the mock API server is what runs in a cluster.
        this.operator = new Operator(o -> o.withKubernetesClient(client)
                .withCloseClientOnStop(false)
                .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(metrics))
                .withUseSSAToPatchPrimaryResource(false)
                .withSSABasedCreateUpdateMatchForDependentResources(false));
        Consumer<ControllerConfigurationOverrider<?>> namespaces = o -> {
            if (!config.watchNamespaces().isEmpty()) {
                o.settingNamespaces(config.watchNamespaces());
            }
        };
        operator.register(new DisklessImageReconciler(config, new ImageUsage(config.watchNamespaces()), origin), namespaces::accept);
        operator.register(new NodeProfileReconciler(config, trust.clusterCa().certificatePem()), namespaces::accept);
        operator.register(new NodeCredentialReconciler(credentials), namespaces::accept);
    }

    public void start() {
        operator.start();
    }

    /** Starts the node API on {@code bind} (port 0 for any free one); stopped by {@link #close()}. */
    public synchronized NodeApiServer startNodeApi(InetSocketAddress bind) throws IOException {
        if (nodeApi == null) {
            var service = new NodeApiService(client, config, credentials, new HostKeySigner(trust.sshCa()), metrics, Clock.systemUTC());
            nodeApi = NodeApiServer.start(bind, trust.clusterCa(), config.nodeApi(), service);
        }
        return nodeApi;
    }

    public MeterRegistry metrics() {
        return metrics;
    }

    public NodeTrust trust() {
        return trust;
    }

    public boolean healthy() {
        return operator.getRuntimeInfo().allEventSourcesAreHealthy();
    }

    /** Informer caches synced and the node API listening. */
    public boolean ready() {
        return healthy() && nodeApi != null;
    }

    @Override
    public void close() {
        if (nodeApi != null) {
            nodeApi.close();
        }
        operator.stop();
    }

    public static void main(String[] args) throws IOException {
        var config = OperatorConfig.fromEnvironment(System.getenv());
        var client = new KubernetesClientBuilder().build();
        var metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        var tether = new TetherOperator(client, config, metrics);
        tether.start();
        tether.startNodeApi(new InetSocketAddress(config.nodeApi().port()));
        serveHealth(tether, Integer.parseInt(System.getenv().getOrDefault("TETHER_HEALTH_PORT", "8081")));
        serveMetrics(metrics, Integer.parseInt(System.getenv().getOrDefault("TETHER_METRICS_PORT", "8082")));
        LOG.info("Tether operator started (builder image {}, origin {})", config.builderImage(), config.originUrl());
    }

    private static void serveHealth(TetherOperator tether, int port) throws IOException {
        var server = HttpServer.create(new InetSocketAddress(port), 16);
        server.createContext("/healthz", exchange -> respond(exchange, 200, "ok\n"));
        server.createContext("/readyz", exchange -> {
            boolean ready = tether.ready();
            respond(exchange, ready ? 200 : 503, ready ? "ready\n" : "informers are not healthy or the node API is not listening\n");
        });
        server.start();
    }

    private static void serveMetrics(PrometheusMeterRegistry metrics, int port) throws IOException {
        var server = HttpServer.create(new InetSocketAddress(port), 16);
        server.createContext("/metrics", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            respond(exchange, 200, metrics.scrape());
        });
        server.start();
    }

    private static void respond(com.sun.net.httpserver.HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (var out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
