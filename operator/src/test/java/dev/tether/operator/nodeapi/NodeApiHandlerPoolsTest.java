package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.trust.HostKey;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.nodeapi.HostKeys;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The requests the node API answers from its caches have handler threads of their own. In one pool, a boot storm's nodes
 * waited seconds for a boot configuration the operator had in memory, queued behind handlers waiting on the API server's
 * writes (docs/scale.md). Here the API server holds the only writing handler's request until the test lets it go.
 */
class NodeApiHandlerPoolsTest extends NodeApiTestBase {
    private static final String STATUS = "/apis/tether.dev/v1alpha1/namespaces/" + NAMESPACE + "/nodecredentials/node-001/status";

    @Override
    UnaryOperator<OperatorConfig> settings() {
        return c -> c.withNodeApi(c.nodeApi().withHandlerThreads(1));
    }

    @Test
    void aBootConfigIsAnsweredWhileEveryWritingHandlerWaitsOnTheApiServer() throws Exception {
        publishedImage("bookworm", DIGEST);
        profile("compute", "bookworm");
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");
        // Once the caches hold profile, image and root password, a boot configuration needs no API server.
        eventually(() -> assertThat(api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, key).status()).isEqualTo(200));
        var writing = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        harness.server.expect().put().withPath(STATUS).andReply(500, request -> {
            writing.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new StatusBuilder().withCode(500).withMessage("etcdserver: request timed out").build();
        }).once();
        var hostKeys = new HostKeys(List.of(HostKey.generate("ed25519", new SecureRandom(), "root@node-001").publicKeyLine()));

        // Each client on a thread of its own (the common pool may have one thread on a small machine).
        var clients = Executors.newVirtualThreadPerTaskExecutor();
        var certifying = CompletableFuture.supplyAsync(
                () -> call(() -> api.post(NAMESPACE, "node-001", NodeApi.HOST_CERTIFICATES, key, hostKeys)), clients);
        try {
            assertThat(writing.await(60, TimeUnit.SECONDS)).as("host-certificates' status write reached the API server").isTrue();
            // In one pool this waits for the one handler, which waits for the test: the bound only ends such a failure.
            var config = CompletableFuture.supplyAsync(() -> call(() -> api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, key)), clients)
                    .get(60, TimeUnit.SECONDS);

            assertThat(config.status()).as(config.text()).isEqualTo(200);
            assertThat(certifying).as("the write still waits on the API server").isNotDone();
        } finally {
            release.countDown();
            clients.shutdown();
        }
        // The API server's client tries the failed write again, and the node gets its certificates once it is recorded.
        var certified = certifying.get(60, TimeUnit.SECONDS);
        assertThat(certified.status()).as(certified.text()).isEqualTo(200);
        assertThat(status("node-001").hostCertificates).hasSize(1);
    }

    private interface Call {
        NodeApiTestClient.Response run() throws IOException;
    }

    private static NodeApiTestClient.Response call(Call call) {
        try {
            return call.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
