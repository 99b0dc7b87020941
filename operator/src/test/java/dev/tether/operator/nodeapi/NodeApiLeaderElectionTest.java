package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.LeaderElectionSettings;
import dev.tether.operator.OperatorHarness;
import dev.tether.operator.TetherOperator;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two operators against one API server, electing a leader with a Lease: only the holder reconciles and serves the
 * node API (the follower does not listen and is not ready), and when it stops, the other takes over within the
 * lease time.
 */
class NodeApiLeaderElectionTest {
    private static final Duration LEASE = Duration.ofSeconds(4);
    private static final InetSocketAddress ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    OperatorHarness harness;
    TetherOperator second;
    CapturedLogs logs;

    static LeaderElectionSettings lease(String identity) {
        return new LeaderElectionSettings("tether-operator", identity, LEASE, Duration.ofSeconds(3), Duration.ofMillis(200), false);
    }

    KubernetesClient secondClient;

    @BeforeEach
    void startFirstOperator() {
        logs = new CapturedLogs();
        harness = new OperatorHarness("http://127.0.0.1:9", null, c -> c.withLeaderElection(lease("operator-a")));
    }

    /** The second operator, with a client of its own (so that the first one's can fail alone). */
    void startSecondOperator() {
        secondClient = harness.server.createClient();
        second = new TetherOperator(secondClient, harness.config.withLeaderElection(lease("operator-b")), new SimpleMeterRegistry());
        second.start();
    }

    @AfterEach
    void stop() {
        if (second != null) {
            second.close();
            secondClient.close();
        }
        if (harness != null) {
            harness.close();
        }
        logs.close();
    }

    @Test
    void onlyTheLeaseHolderReconcilesAndServesTheNodeApiAndTheOtherTakesOverWhenItStops() throws Exception {
        startSecondOperator();
        TetherOperator first = harness.operator();
        first.startNodeApi(ANY_PORT);
        second.startNodeApi(ANY_PORT);
        eventually(() -> assertThat(first.leading() || second.leading()).isTrue());
        TetherOperator leader = first.leading() ? first : second;
        TetherOperator follower = leader == first ? second : first;

        create("node-001");

        assertThat(follower.leading()).isFalse();
        assertThat(follower.nodeApi()).as("a follower does not listen").isEmpty();
        assertThat(follower.ready()).as("so the Service does not send nodes to it").isFalse();
        eventually(() -> assertThat(leader.ready()).isTrue());
        assertThat(reconciliations(leader)).isPositive();
        assertThat(reconciliations(follower)).as("a follower does not reconcile").isZero();
        assertThat(issueKey(leader, "node-001")).isEqualTo(200);
        assertThat(harness.client.resources(Lease.class).inNamespace(OperatorHarness.OPERATOR_NAMESPACE).withName("tether-operator").get()
                .getSpec().getHolderIdentity()).isEqualTo(leader == first ? "operator-a" : "operator-b");

        // A clean stop hands the Lease back, so the other takes over at its next try; a crashed leader's Lease would
        // first have to expire (the lease time).
        leader.close();

        await().atMost(LEASE).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(follower.nodeApi()).as("the follower took over within the lease time").isPresent());
        create("node-002");
        assertThat(reconciliations(follower)).isPositive();
        assertThat(issueKey(follower, "node-002")).isEqualTo(200);
    }

    @Test
    void aLeaderCutOffFromTheApiServerStopsServingAndTheOtherTakesOverOnceTheLeaseExpires() throws Exception {
        TetherOperator first = harness.operator();
        first.startNodeApi(ANY_PORT);
        eventually(() -> assertThat(first.nodeApi()).isPresent());
        startSecondOperator();
        second.startNodeApi(ANY_PORT);

        // As if the leader's pod were killed or partitioned away: none of its requests reach the API server any more,
        // so it neither renews nor hands back the Lease.
        harness.client.close();

        eventually(() -> assertThat(first.nodeApi()).as("a leader that cannot renew stops serving the node API").isEmpty());
        // Taken once the Lease expires: the lease time after the last renewal, plus a try or two.
        await().atMost(LEASE.plusSeconds(2)).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(second.nodeApi()).isPresent());
        assertThat(second.leading()).isTrue();
        create(secondClient, "node-003");
        assertThat(issueKey(second, "node-003")).isEqualTo(200);
    }

    private void create(String node) {
        create(harness.client, node);
    }

    private static void create(KubernetesClient client, String node) {
        var credential = new NodeCredential();
        credential.getMetadata().setName(node);
        credential.getMetadata().setNamespace(NAMESPACE);
        credential.setSpec(new NodeCredentialSpec());
        credential.getSpec().nodeName = node;
        credential.getSpec().profile = "compute";
        credential.getSpec().arming = Arming.ONCE;
        credential.getSpec().hardware = new NodeCredentialSpec.Hardware();
        credential.getSpec().hardware.macs = List.of(NodeApiTestBase.MAC);
        client.resource(credential).create();
        eventually(() -> assertThat(client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName(node).get()
                .getStatus().armed).isTrue());
    }

    private static int issueKey(TetherOperator operator, String node) throws Exception {
        var api = new NodeApiTestClient(operator.nodeApi().orElseThrow().address(), operator.trust().clusterCa().certificate());
        return api.post(NAMESPACE, node, NodeApi.API_KEY, null, new ArmingRequest(List.of(NodeApiTestBase.MAC), null)).status();
    }

    private static double reconciliations(TetherOperator operator) {
        return operator.metrics().find("operator.sdk.reconciliations.started").counters().stream().mapToDouble(Counter::count).sum();
    }
}
