package dev.tether.operator;

import dev.tether.operator.credential.CredentialsByNodeName;
import dev.tether.operator.credential.NodeCredentialReconciler;
import dev.tether.operator.discovery.DiscoveredNodeReconciler;
import dev.tether.operator.image.DisklessImageReconciler;
import dev.tether.operator.image.ImageUsage;
import dev.tether.operator.image.OriginClient;
import dev.tether.operator.image.UploadToken;
import dev.tether.operator.nodeapi.NodeApiServer;
import dev.tether.operator.nodeapi.NodeApiService;
import dev.tether.operator.power.PowerControl;
import dev.tether.operator.profile.NodeProfileReconciler;
import dev.tether.operator.trust.HostKeySigner;
import dev.tether.operator.trust.ClusterTrust;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the Tether operator: the three reconcilers, the node API and the health endpoints.
 *
 * <p>With leader election ({@link OperatorConfig#leaderElection()}), every replica starts its informers, but only the
 * Lease holder reconciles and serves the node API: the node API issues keys and writes statuses, and two writers
 * could both issue a {@code once} key. A follower does not listen on the node API port and is not ready, so the
 * Service sends nodes to the leader alone; it starts both the moment it takes the Lease.
 */
public final class TetherOperator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TetherOperator.class);

    private final Operator operator;
    private final KubernetesClient client;
    private final OperatorConfig config;
    private final MeterRegistry metrics;
    private final ClusterTrust trust;
    private final CredentialsByNodeName credentials = new CredentialsByNodeName();
    private final PowerControl power;
    private volatile NodeApiServer nodeApi;
    private NodeApiService nodeApiService;
    /** Where the node API listens once this replica leads; null until {@link #startNodeApi} is called. */
    private InetSocketAddress nodeApiBind;
    private volatile boolean leading;
    private boolean closed;

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
        this.trust = ClusterTrust.loadOrCreate(client, config.operatorNamespace(), config.nodeApi());
        var origin = new OriginClient(config.originUrl(), () -> UploadToken.read(client, config));
        // One write path everywhere: JSON patches and plain create/update, not server-side apply,
        // so what the tests exercise against the mock API server is what runs in a cluster.
        leading = config.leaderElection().isEmpty();
        this.operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withCloseClientOnStop(false)
                    .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(metrics))
                    .withUseSSAToPatchPrimaryResource(false)
                    .withSSABasedCreateUpdateMatchForDependentResources(false);
            config.leaderElection().ifPresent(settings -> o.withLeaderElectionConfiguration(leaderElection(settings)));
        });
        Consumer<ControllerConfigurationOverrider<?>> namespaces = o -> {
            if (!config.watchNamespaces().isEmpty()) {
                o.settingNamespaces(config.watchNamespaces());
            }
        };
        operator.register(new DisklessImageReconciler(config, new ImageUsage(config.watchNamespaces()), origin, metrics, Clock.systemUTC()), namespaces::accept);
        operator.register(new NodeProfileReconciler(config, trust.clusterCa().certificatePem()), namespaces::accept);
        this.power = new PowerControl(client, config.power(), metrics, Clock.systemUTC());
        operator.register(new NodeCredentialReconciler(credentials, power), namespaces::accept);
        operator.register(new DiscoveredNodeReconciler(), namespaces::accept);
    }

    public void start() {
        operator.start();
    }

    private LeaderElectionConfiguration leaderElection(LeaderElectionSettings settings) {
        var builder = LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(settings.leaseName())
                .withLeaseNamespace(config.operatorNamespace())
                .withLeaseDuration(settings.leaseDuration())
                .withRenewDeadline(settings.renewDeadline())
                .withRetryPeriod(settings.retryPeriod())
                .withExitOnStopLeading(settings.exitOnStopLeading())
                .withLeaderCallbacks(new LeaderCallbacks(this::startedLeading, this::stoppedLeading,
                        leader -> LOG.info("operator leader is now {}", leader == null || leader.isEmpty() ? "(none)" : leader)));
        if (settings.identity() != null && !settings.identity().isBlank()) {
            builder.withIdentity(settings.identity());
        }
        return builder.build();
    }

    private synchronized void startedLeading() {
        if (closed) {
            return;
        }
        leading = true;
        LOG.info("this operator took the Lease: reconciling and serving the node API");
        if (nodeApiBind != null) {
            try {
                listen();
            } catch (IOException e) {
                // A leader that cannot serve nodes must not hold the Lease: exiting hands it to a replica that can.
                LOG.error("the leader cannot serve the node API, giving up: {}", e.getMessage());
                if (config.leaderElection().map(LeaderElectionSettings::exitOnStopLeading).orElse(false)) {
                    System.exit(1);
                }
            }
        }
    }

    private synchronized void stoppedLeading() {
        leading = false;
        LOG.warn("this operator lost the Lease: no longer serving the node API");
        closeNodeApi();
    }

    /**
     * Serves the node API on {@code bind} (port 0 for any free one) while this operator leads: now, when it leads
     * already (always, without leader election), else from when it takes the Lease. Stopped by {@link #close()}.
     *
     * @return the listening server, or null while this replica follows
     */
    public synchronized NodeApiServer startNodeApi(InetSocketAddress bind) throws IOException {
        nodeApiBind = bind;
        if (leading) {
            listen();
        }
        return nodeApi;
    }

    private void listen() throws IOException {
        if (nodeApi == null) {
            var service = new NodeApiService(client, config, credentials, new HostKeySigner(trust.sshCa()), metrics, Clock.systemUTC());
            try {
                nodeApi = NodeApiServer.start(nodeApiBind, trust.clusterCa(), config.nodeApi(), service);
            } catch (IOException | RuntimeException e) {
                service.close();
                throw e;
            }
            nodeApiService = service;
        }
    }

    private synchronized void closeNodeApi() {
        if (nodeApi != null) {
            nodeApi.close();
            nodeApi = null;
        }
        if (nodeApiService != null) {
            nodeApiService.close();
            nodeApiService = null;
        }
    }

    /** The node API while this replica serves it. */
    public Optional<NodeApiServer> nodeApi() {
        return Optional.ofNullable(nodeApi);
    }

    /** Whether this replica reconciles and serves the node API (always, without leader election). */
    public boolean leading() {
        return leading;
    }

    public MeterRegistry metrics() {
        return metrics;
    }

    /** The NodeCredential cache the node API finds nodes in (the credential controller's informer). */
    public CredentialsByNodeName credentials() {
        return credentials;
    }

    /** The workers that talk to BMCs. */
    public PowerControl power() {
        return power;
    }

    public ClusterTrust trust() {
        return trust;
    }

    public boolean healthy() {
        return operator.getRuntimeInfo().allEventSourcesAreHealthy();
    }

    /** Informer caches synced and the node API listening, which only the leader does. */
    public boolean ready() {
        return healthy() && nodeApi != null;
    }

    @Override
    public void close() {
        boolean wasLeading;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            wasLeading = leading && config.leaderElection().isPresent();
            closeNodeApi();
        }
        // Not under this object's lock: stopping the elector calls back into stoppedLeading.
        operator.stop();
        power.close();
        if (wasLeading) {
            releaseLease(config.leaderElection().get());
        }
    }

    /**
     * Hands the Lease back on a clean stop, so that the next replica (the new pod of an upgrade) leads at its next
     * try instead of after the lease duration. Reconciling has stopped by now, so no two leaders overlap.
     */
    private void releaseLease(LeaderElectionSettings settings) {
        if (settings.identity() == null || settings.identity().isBlank()) {
            return;
        }
        var lease = client.resources(Lease.class).inNamespace(config.operatorNamespace()).withName(settings.leaseName());
        // A renewal already under way when the elector was stopped may still land: it changes the version, so retry.
        for (int attempt = 1; ; attempt++) {
            try {
                var current = lease.get();
                if (current == null || current.getSpec() == null || !settings.identity().equals(current.getSpec().getHolderIdentity())) {
                    return;
                }
                current.getSpec().setHolderIdentity(null);
                // Locked to the version read: if another replica took the Lease meanwhile, this fails and changes nothing.
                client.resource(current).lockResourceVersion(current.getMetadata().getResourceVersion()).update();
                LOG.info("released the leader Lease {}", settings.leaseName());
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) {
                    // Not fatal: another replica takes the Lease when it expires.
                    LOG.warn("could not release the leader Lease {}: {}", settings.leaseName(), e.getMessage());
                    return;
                }
            }
        }
    }

    public static void main(String[] args) throws IOException {
        var config = OperatorConfig.fromEnvironment(System.getenv());
        var client = new KubernetesClientBuilder().build();
        var metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        bindProcessMetrics(metrics);
        var tether = new TetherOperator(client, config, metrics);
        tether.start();
        tether.startNodeApi(new InetSocketAddress(config.nodeApi().port()));
        serveHealth(tether, Integer.parseInt(System.getenv().getOrDefault("TETHER_HEALTH_PORT", "8081")));
        serveMetrics(metrics, Integer.parseInt(System.getenv().getOrDefault("TETHER_METRICS_PORT", "8082")));
        LOG.info("Tether operator started (builder image {}, origin {})", config.builderImage(), config.originUrl());
    }

    /** The JVM's memory, GC, threads, classes and CPU, and {@code tether_build_info} naming the running version. */
    static void bindProcessMetrics(MeterRegistry metrics) {
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmGcMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        new ClassLoaderMetrics().bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        new UptimeMetrics().bindTo(metrics);
        String version = Objects.requireNonNullElse(TetherOperator.class.getPackage().getImplementationVersion(), "unknown");
        Gauge.builder("tether.build.info", () -> 1)
                .description("Always 1; the labels name the running Tether version and component")
                .tags("version", version, "component", "operator", "java", Runtime.version().toString())
                .register(metrics);
    }

    private static void serveHealth(TetherOperator tether, int port) throws IOException {
        var server = HttpServer.create(new InetSocketAddress(port), 16);
        server.createContext("/healthz", exchange -> respond(exchange, 200, "ok\n"));
        server.createContext("/readyz", exchange -> {
            boolean ready = tether.ready();
            respond(exchange, ready ? 200 : 503, ready ? "ready\n" : !tether.leading()
                    ? "standing by: another replica holds the leader Lease and serves the node API\n"
                    : "informers are not healthy or the node API is not listening\n");
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
