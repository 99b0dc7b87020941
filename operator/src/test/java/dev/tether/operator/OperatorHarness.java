package dev.tether.operator;

import static org.awaitility.Awaitility.await;

import dev.tether.local.InMemoryKubernetes;
import dev.tether.operator.nodeapi.NodeApiServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The operator running against the in-memory Kubernetes API ({@link InMemoryKubernetes}) with the CRDs the
 * build generated. It validates nothing and runs no controllers (no Job runs, no garbage collector): tests play
 * those parts themselves ({@link BuilderJobs}).
 *
 * <p>A test class registers one per test, and JUnit stops it after each:
 * {@code @RegisterExtension final OperatorHarness harness = new OperatorHarness(OperatorHarness.NO_ORIGIN);}
 */
public final class OperatorHarness implements AutoCloseable, AfterEachCallback {
    /** An origin URL nothing answers at (the discard port), for tests that publish nothing. */
    public static final String NO_ORIGIN = "http://127.0.0.1:9";
    public static final String OPERATOR_NAMESPACE = "tether-system";
    public static final String NAMESPACE = "hpc";

    private final InMemoryKubernetes kubernetes;
    public final KubernetesMockServer server;
    public final KubernetesClient client;
    public final OperatorConfig config;
    private final TetherOperator operator;
    /** The operator's persistence volume (nodes' encrypted archives). */
    public final Path persistenceDir;

    public OperatorHarness(String originUrl) {
        this(originUrl, null);
    }

    /** @param originToken the origin's upload token, as if the operator had made it before; null to let it make one */
    public OperatorHarness(String originUrl, String originToken) {
        this(originUrl, originToken, UnaryOperator.identity());
    }

    /** @param settings changes to the installation's default settings (e.g. the node API's failure limits) */
    public OperatorHarness(String originUrl, String originToken, UnaryOperator<OperatorConfig> settings) {
        kubernetes = InMemoryKubernetes.start(repositoryRoot().resolve("crds"));
        server = kubernetes.server();
        client = kubernetes.client();
        if (originToken != null) {
            client.resource(new SecretBuilder()
                    .withNewMetadata().withName("tether-origin-token").withNamespace(OPERATOR_NAMESPACE).endMetadata()
                    .addToData(OperatorConfig.ORIGIN_TOKEN_KEY, Base64.getEncoder().encodeToString(originToken.getBytes(StandardCharsets.UTF_8)))
                    .build()).create();
        }
        OperatorConfig defaults = OperatorConfig.of("registry.example/tether/builder:test", "registry.example/tether/content-server:test",
                originUrl, OPERATOR_NAMESPACE);
        try {
            // Nodes' archives go to a volume of this harness's own, never to the real default path.
            persistenceDir = Files.createTempDirectory("tether-persistence");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        defaults = defaults.withNodeApi(defaults.nodeApi().withPersistence(defaults.nodeApi().persistence().withDirectory(persistenceDir)));
        config = settings.apply(defaults);
        operator = new TetherOperator(client, config);
        operator.start();
    }

    /** The node API on a free loopback port; stopped with the harness. */
    public NodeApiServer startNodeApi() throws IOException {
        return operator.startNodeApi(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    public TetherOperator operator() {
        return operator;
    }

    /**
     * An administrator's edit of a resource in {@link #NAMESPACE}: read, change, write. The operator writes status
     * meanwhile, so a write can lose the race (409); like someone running {@code kubectl edit} again, it reads the
     * resource anew and redoes the change.
     */
    public <T extends HasMetadata> T edit(Class<T> kind, String name, UnaryOperator<T> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                return client.resources(kind).inNamespace(NAMESPACE).withName(name).edit(change);
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || attempt == 10) {
                    throw e;
                }
            }
        }
    }

    public static <T> T eventually(Callable<T> probe) {
        return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(probe, v -> v != null);
    }

    public static void eventually(Runnable assertion) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(assertion::run);
    }

    static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
            dir = dir.getParent();
        }
        return dir;
    }

    public Map<String, String> labels(String component) {
        return Names.managedLabels(component);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        operator.close();
        kubernetes.close();
        try (var files = Files.walk(persistenceDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A temporary directory left behind is no failure of the test.
        }
    }
}
