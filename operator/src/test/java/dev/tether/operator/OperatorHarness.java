package dev.tether.operator;

import static org.awaitility.Awaitility.await;

import dev.tether.operator.nodeapi.NodeApiServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
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
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The operator running against the Fabric8 mock API server in CRUD mode, with the CRDs that the
 * build generated registered in it. The mock server validates nothing and runs no controllers (no
 * Job runs, no garbage collector): tests play those parts themselves.
 *
 * <p>A test class registers one per test, and JUnit stops it after each:
 * {@code @RegisterExtension final OperatorHarness harness = new OperatorHarness(OperatorHarness.NO_ORIGIN);}
 */
public final class OperatorHarness implements AutoCloseable, AfterEachCallback {
    /** An origin URL nothing answers at (the discard port), for tests that publish nothing. */
    public static final String NO_ORIGIN = "http://127.0.0.1:9";
    public static final String OPERATOR_NAMESPACE = "tether-system";
    public static final String NAMESPACE = "hpc";

    /** The mock server logs every request through java.util.logging; keep CI output readable. */
    private static final Logger MOCK_SERVER_LOG = quiet("io.fabric8.mockwebserver");

    public final KubernetesMockServer server;
    public final KubernetesClient client;
    public final OperatorConfig config;
    private final TetherOperator operator;

    public OperatorHarness(String originUrl) {
        this(originUrl, null);
    }

    /** @param originToken the origin's upload token, as if the operator had made it before; null to let it make one */
    public OperatorHarness(String originUrl, String originToken) {
        this(originUrl, originToken, UnaryOperator.identity());
    }

    /** @param settings changes to the installation's default settings (e.g. the node API's failure limits) */
    public OperatorHarness(String originUrl, String originToken, UnaryOperator<OperatorConfig> settings) {
        // CRUD for everything, plus the few answers a CRUD store cannot give (expectations first).
        var expectations = new HashMap<ServerRequest, Queue<ServerResponse>>();
        server = new KubernetesMockServer(new Context(), new MockWebServer(),
                expectations, new KubernetesMixedDispatcher(expectations), false);
        server.init();
        grantLeases(server);
        client = server.createClient();
        registerCrds(client);
        if (originToken != null) {
            client.resource(new SecretBuilder()
                    .withNewMetadata().withName("tether-origin-token").withNamespace(OPERATOR_NAMESPACE).endMetadata()
                    .addToData(OperatorConfig.ORIGIN_TOKEN_KEY, Base64.getEncoder().encodeToString(originToken.getBytes(StandardCharsets.UTF_8)))
                    .build()).create();
        }
        config = settings.apply(OperatorConfig.of("registry.example/tether/builder:test", "registry.example/tether/content-server:test",
                originUrl, OPERATOR_NAMESPACE));
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

    /**
     * Leader election first asks the API server (a SelfSubjectRulesReview) whether it may use Leases; answer as the
     * chart's Role does, since the CRUD store would echo the review back without a status.
     */
    private static void grantLeases(KubernetesMockServer server) {
        var review = new SelfSubjectRulesReviewBuilder()
                .withNewStatus().withIncomplete(false)
                .addNewResourceRule().withApiGroups("coordination.k8s.io").withResources("leases")
                .withVerbs("get", "create", "update").endResourceRule()
                .endStatus().build();
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews").andReturn(201, review).always();
    }

    private static void registerCrds(KubernetesClient client) {
        Path crds = repositoryRoot().resolve("crds");
        String[] files;
        try (var listing = Files.list(crds)) {
            files = listing.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yml")).sorted().toArray(String[]::new);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String file : files) {
            try (var in = Files.newInputStream(crds.resolve(file))) {
                client.resource(client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class)).create();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static Logger quiet(String name) {
        var logger = Logger.getLogger(name);
        logger.setLevel(Level.WARNING);
        return logger;
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
        client.close();
        server.destroy();
    }
}
