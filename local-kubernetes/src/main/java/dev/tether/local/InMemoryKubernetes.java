package dev.tether.local;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * A Kubernetes API server in memory: Fabric8's mock server in CRUD mode, with Tether's CRDs registered. It
 * stores, lists and watches what it is given and validates nothing; it runs no controllers (no Job runs, no
 * garbage collector: see {@link JobController}). The one question a CRUD store cannot answer, whether the
 * operator may use Leases for its leader election, is answered as the chart's Role does.
 *
 * <p>What {@code ./tether-dev up} runs the operator against, and what the operator's tests do.
 */
public final class InMemoryKubernetes implements AutoCloseable {
    /** The mock server logs every request through java.util.logging; keep a console readable. */
    private static final Logger MOCK_SERVER_LOG = quiet("io.fabric8.mockwebserver");

    private final KubernetesMockServer server;
    private final KubernetesClient client;

    private InMemoryKubernetes(KubernetesMockServer server, KubernetesClient client) {
        this.server = server;
        this.client = client;
    }

    /** Starts it on a free loopback port with every {@code *.yml} CRD in {@code crdDirectory} registered. */
    public static InMemoryKubernetes start(Path crdDirectory) {
        // CRUD for everything, plus the few answers a CRUD store cannot give (expectations first).
        Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
        var server = new KubernetesMockServer(new Context(), new MockWebServer(), expectations,
                new KubernetesMixedDispatcher(expectations), false);
        server.init();
        grantLeases(server);
        KubernetesClient client = server.createClient();
        try {
            registerCrds(client, crdDirectory);
        } catch (RuntimeException e) {
            client.close();
            server.destroy();
            throw e;
        }
        return new InMemoryKubernetes(server, client);
    }

    public KubernetesClient client() {
        return client;
    }

    /** The server itself: its request log, and clients of its own (a second operator replica). */
    public KubernetesMockServer server() {
        return server;
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

    private static void registerCrds(KubernetesClient client, Path crdDirectory) {
        List<Path> files;
        try (Stream<Path> listing = Files.list(crdDirectory)) {
            files = listing.filter(p -> p.getFileName().toString().endsWith(".yml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the CRDs in " + crdDirectory, e);
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no CRD (*.yml) in " + crdDirectory);
        }
        for (Path file : files) {
            try (var in = Files.newInputStream(file)) {
                client.resource(client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class)).create();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the CRD " + file, e);
            }
        }
    }

    private static Logger quiet(String name) {
        Logger logger = Logger.getLogger(name);
        logger.setLevel(Level.WARNING);
        return logger;
    }

    @Override
    public void close() {
        client.close();
        try {
            server.destroy();
        } catch (RejectedExecutionException e) {
            // The mock server (fabric8 mockwebserver 7.5.2) closes its HTTP server and then waits for that close by
            // adding a listener to its future; now and then the Vert.x event loop the listener is handed to has
            // already terminated, and the wait throws this though the server is closed (a teardown failed with it
            // once in about 600 of the operator's tests, 2026-12-07). Nothing is left to close.
        }
    }
}
