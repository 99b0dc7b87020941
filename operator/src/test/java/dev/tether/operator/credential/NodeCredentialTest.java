package dev.tether.operator.credential;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeCredentialStatus.KeySource;
import dev.tether.operator.OperatorHarness;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The API-key lifecycle: arming modes, the salted hash in a Secret, and what status shows. */
class NodeCredentialTest {
    private static final java.time.Instant NOW = java.time.Instant.parse("2026-12-01T12:00:00Z");
    @RegisterExtension
    final OperatorHarness harness = new OperatorHarness(OperatorHarness.NO_ORIGIN);
    final ApiKeyStore keys = new ApiKeyStore(harness.client);

    @Test
    void aOnceCredentialIssuesOneKeyThenDisarms() throws Exception {
        create("node-001", Arming.ONCE);
        eventually(() -> assertThat(status("node-001").armed).isTrue());

        String key = keys.issueByNetwork(NAMESPACE, "node-001");

        assertThat(key).startsWith("tk_").hasSizeGreaterThan(40);
        assertThat(keys.verify(NAMESPACE, "node-001", key)).isTrue();
        assertThat(keys.verify(NAMESPACE, "node-001", key + "x")).isFalse();
        var status = status("node-001");
        assertThat(status.armed).isFalse();
        assertThat(status.apiKey.issuedVia).isEqualTo(KeySource.NETWORK);
        assertThat(status.apiKey.issuedAt).isNotBlank();
        assertThat(status.apiKey.issueCount).isEqualTo(1);
        assertThat(Condition.find(status.conditions, NodeCredentialStatus.KEY_ISSUED).isTrue()).isTrue();
        assertThatThrownBy(() -> keys.issueByNetwork(NAMESPACE, "node-001"))
                .isInstanceOf(ApiKeyStore.NotArmedException.class)
                .hasMessageContaining("not armed").hasMessageContaining("kubectl annotate");
    }

    @Test
    void theKeyIsStoredOnlyAsASaltedHashInASecretOwnedByTheCredential() throws Exception {
        create("node-001", Arming.ONCE);
        eventually(() -> assertThat(status("node-001").armed).isTrue());
        String key = keys.issueByNetwork(NAMESPACE, "node-001");

        var secret = harness.client.secrets().inNamespace(NAMESPACE).withName("node-001-api-key").get();
        assertThat(secret.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getKind()).isEqualTo("NodeCredential"));
        Map<String, String> data = secret.getData() != null ? secret.getData() : Map.of();
        var values = new StringBuilder();
        data.values().forEach(v -> values.append(new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)).append('\n'));
        if (secret.getStringData() != null) {
            secret.getStringData().values().forEach(v -> values.append(v).append('\n'));
        }
        assertThat(values.toString()).doesNotContain(key).doesNotContain(key.substring(3));
        var credential = harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName("node-001").get();
        assertThat(harness.client.getKubernetesSerialization().asJson(credential)).doesNotContain(key.substring(3));
    }

    @Test
    void twoConcurrentFetchesOfAOnceKeyGiveOneKey() throws Exception {
        create("node-001", Arming.ONCE);
        eventually(() -> assertThat(status("node-001").armed).isTrue());
        Callable<String> fetch = () -> {
            try {
                return keys.issueByNetwork(NAMESPACE, "node-001");
            } catch (ApiKeyStore.NotArmedException e) {
                return null;
            }
        };
        try (var pool = Executors.newFixedThreadPool(2)) {
            var results = pool.invokeAll(List.of(fetch, fetch));
            long issued = 0;
            for (var result : results) {
                if (result.get() != null) {
                    issued++;
                }
            }
            assertThat(issued).isEqualTo(1);
        }
    }

    @Test
    void aDisarmedCredentialRefusesAndRearmingAllowsOneMoreKey() throws Exception {
        create("node-002", Arming.DISARMED);
        eventually(() -> assertThat(status("node-002").armed).isFalse());
        assertThatThrownBy(() -> keys.issueByNetwork(NAMESPACE, "node-002")).isInstanceOf(ApiKeyStore.NotArmedException.class)
                .hasMessageContaining("arming: DISARMED");

        harness.edit(NodeCredential.class, "node-002", c -> {
            c.getSpec().arming = Arming.ONCE;
            return c;
        });
        eventually(() -> assertThat(status("node-002").armed).isTrue());
        keys.issueByNetwork(NAMESPACE, "node-002");
        assertThat(status("node-002").armed).isFalse();

        harness.edit(NodeCredential.class, "node-002", c -> {
            c.getMetadata().getAnnotations().put(NodeCredential.REARM_ANNOTATION, "2026-11-24T21:00:00Z");
            return c;
        });
        eventually(() -> assertThat(status("node-002").armed).isTrue());
        String second = keys.issueByNetwork(NAMESPACE, "node-002");
        assertThat(keys.verify(NAMESPACE, "node-002", second)).isTrue();
        assertThat(status("node-002").apiKey.issueCount).isEqualTo(2);
    }

    @Test
    void aContinuousCredentialStaysArmed() throws Exception {
        create("node-003", Arming.CONTINUOUS);
        eventually(() -> assertThat(status("node-003").armed).isTrue());
        String first = keys.issueByNetwork(NAMESPACE, "node-003");
        String second = keys.issueByNetwork(NAMESPACE, "node-003");
        assertThat(status("node-003").armed).isTrue();
        assertThat(keys.verify(NAMESPACE, "node-003", first)).as("a new key replaces the old").isFalse();
        assertThat(keys.verify(NAMESPACE, "node-003", second)).isTrue();
    }

    @Test
    void aCredentialForAMissingProfileIsNotReady() {
        create("node-004", Arming.ONCE);
        eventually(() -> assertThat(Condition.find(status("node-004").conditions, NodeCredentialStatus.READY).reason).isEqualTo("ProfileNotFound"));
    }

    @Test
    void armingIsAPureFunctionOfModeRearmAndHistory() {
        var credential = credential("n", Arming.ONCE);
        var status = new NodeCredentialStatus();
        ArmingState.refresh(credential, status, NOW);
        assertThat(status.armed).isTrue();
        ArmingState.afterNetworkIssue(credential, status);
        ArmingState.refresh(credential, status, NOW);
        assertThat(status.armed).as("stays disarmed on the next reconciliation").isFalse();
        credential.getMetadata().setAnnotations(new java.util.HashMap<>(Map.of(NodeCredential.REARM_ANNOTATION, "1")));
        ArmingState.refresh(credential, status, NOW);
        assertThat(status.armed).isTrue();
        ArmingState.afterNetworkIssue(credential, status);
        ArmingState.refresh(credential, status, NOW);
        assertThat(status.armed).as("the same rearm value does not arm twice").isFalse();
    }

    @Test
    void anArmingWindowClosesAtItsDeadlineWhateverTheMode() {
        var credential = credential("n", Arming.CONTINUOUS);
        credential.getSpec().armedUntil = "2026-12-01T12:00:00Z";
        var status = new NodeCredentialStatus();

        ArmingState.refresh(credential, status, NOW.minusSeconds(1));
        assertThat(status.armed).as("a second before the deadline").isTrue();
        ArmingState.refresh(credential, status, NOW);
        assertThat(status.armed).as("at the deadline").isFalse();

        credential.getSpec().armedUntil = "not a date";
        ArmingState.refresh(credential, status, NOW.minusSeconds(3600));
        assertThat(status.armed).as("a deadline that does not parse counts as passed").isFalse();
    }

    @Test
    void aNewArmingWindowArmsAOnceCredentialAgainAndAnExpiredOneStaysClosed() {
        var credential = credential("n", Arming.ONCE);
        credential.getSpec().armedUntil = "2026-12-01T12:00:00Z";
        var status = new NodeCredentialStatus();
        ArmingState.refresh(credential, status, NOW.plusSeconds(60));
        assertThat(status.armed).as("created after its window").isFalse();

        credential.getMetadata().getAnnotations().put(NodeCredential.REARM_ANNOTATION, "1");
        ArmingState.refresh(credential, status, NOW.plusSeconds(60));
        assertThat(status.armed).as("re-arming does not reopen a closed window").isFalse();

        credential.getSpec().armedUntil = "2026-12-01T13:00:00+01:00"; // the same instant, written differently: a new value
        ArmingState.refresh(credential, status, NOW.minusSeconds(60));
        assertThat(status.armed).isTrue();
        ArmingState.afterNetworkIssue(credential, status);
        ArmingState.refresh(credential, status, NOW.minusSeconds(30));
        assertThat(status.armed).as("once: the window does not give a second key").isFalse();
    }

    @Test
    void removingASpentWindowFromTheSpecArmsNothing() {
        // A once credential armed for a window, whose key the node took: then a clean-up drops the spent window.
        var taken = withWindowRemoved("n", NOW.minusSeconds(600), true, NOW.plus(java.time.Duration.ofDays(7)));
        assertThat(taken.status().armed).as("a week later, the key taken and the window removed").isFalse();

        // Its window closed before any key was taken: removing it opens none either; the annotation does.
        var closed = withWindowRemoved("m", NOW.plusSeconds(60), false, NOW.plusSeconds(120));
        assertThat(closed.status().armed).as("a closed window removed").isFalse();
        closed.credential().getMetadata().getAnnotations().put(NodeCredential.REARM_ANNOTATION, "after-the-window");
        ArmingState.refresh(closed.credential(), closed.status(), NOW.plusSeconds(180));
        assertThat(closed.status().armed).as("re-armed by the annotation, with no end").isTrue();

        // Still open and unused: removing the end leaves it armed, now with no end, as the spec then says.
        var open = withWindowRemoved("o", NOW.minusSeconds(60), false, NOW.plusSeconds(3600));
        assertThat(open.status().armed).as("an open window whose end was removed").isTrue();
    }

    private record Armed(NodeCredential credential, NodeCredentialStatus status) {
    }

    /**
     * A once credential whose window ends at {@code NOW}, seen by the reconciler at {@code seen}, its key taken then or
     * not, and seen again at {@code removed} after its window was removed from the spec.
     */
    private static Armed withWindowRemoved(String name, java.time.Instant seen, boolean keyTaken,
            java.time.Instant removed) {
        var credential = credential(name, Arming.ONCE);
        credential.getSpec().armedUntil = NOW.toString();
        var status = new NodeCredentialStatus();
        ArmingState.refresh(credential, status, seen);
        if (keyTaken) {
            ArmingState.afterNetworkIssue(credential, status);
        }
        credential.getSpec().armedUntil = null;
        ArmingState.refresh(credential, status, removed);
        return new Armed(credential, status);
    }

    @Test
    void theKeyStoreJudgesTheWindowByItsClock() throws Exception {
        var deadline = java.time.Instant.parse("2999-01-01T00:00:00Z");
        var credential = credential("node-005", Arming.CONTINUOUS);
        credential.getSpec().armedUntil = deadline.toString();
        harness.client.resource(credential).create();
        eventually(() -> assertThat(status("node-005").armed).isTrue());
        var before = new ApiKeyStore(harness.client, java.time.Clock.fixed(deadline.minusSeconds(1), java.time.ZoneOffset.UTC));
        var after = new ApiKeyStore(harness.client, java.time.Clock.fixed(deadline, java.time.ZoneOffset.UTC));

        assertThat(before.issueByNetwork(NAMESPACE, "node-005")).startsWith("tk_");
        assertThat(status("node-005").apiKey.issuedAt).isEqualTo("2998-12-31T23:59:59Z");
        assertThatThrownBy(() -> after.issueByNetwork(NAMESPACE, "node-005"))
                .isInstanceOf(ApiKeyStore.NotArmedException.class)
                .hasMessageContaining("arming window").hasMessageContaining("spec.armedUntil 2999-01-01T00:00:00Z");
    }

    @Test
    void theReconcilerLooksAgainWhenTheArmingWindowCloses() {
        var credential = credential("node-006", Arming.CONTINUOUS);
        credential.getMetadata().setGeneration(3L);
        credential.getSpec().armedUntil = "2026-12-01T12:00:00Z";
        var json = harness.client.getKubernetesSerialization();

        var power = new dev.tether.operator.power.PowerControl(harness.client, dev.tether.operator.power.PowerSettings.defaults(),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), java.time.Clock.systemUTC());
        var open = new NodeCredentialReconciler(new CredentialsByNodeName(), power, java.time.Clock.fixed(NOW.minusSeconds(600), java.time.ZoneOffset.UTC))
                .plan(credential, true, json);
        assertThat(open.desired().getStatus().armed).isTrue();
        assertThat(open.lookAgain()).as("just after the deadline").contains(java.time.Duration.ofSeconds(601));

        var closed = new NodeCredentialReconciler(new CredentialsByNodeName(), power, java.time.Clock.fixed(NOW, java.time.ZoneOffset.UTC))
                .plan(open.desired(), true, json);
        assertThat(closed.desired().getStatus().armed).isFalse();
        assertThat(closed.changesStatus()).as("status.armed turns false").isTrue();
        assertThat(closed.lookAgain()).as("nothing left to wait for").isEmpty();
        assertThat(closed.desired().getStatus().observedGeneration).isEqualTo(3L);
        assertThat(new NodeCredentialReconciler(new CredentialsByNodeName(), power, java.time.Clock.fixed(NOW, java.time.ZoneOffset.UTC))
                .plan(closed.desired(), true, json).changesStatus()).as("a status already written is not written again").isFalse();
    }

    @Test
    void untilAKeyIsIssuedKeyIssuedSaysWhetherTheNodeMayFetchOneNow() {
        var credential = credential("node-007", Arming.DISARMED);
        credential.getMetadata().setGeneration(1L);
        var json = harness.client.getKubernetesSerialization();
        var power = new dev.tether.operator.power.PowerControl(harness.client,
                dev.tether.operator.power.PowerSettings.defaults(),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), java.time.Clock.systemUTC());
        var reconciler = new NodeCredentialReconciler(new CredentialsByNodeName(), power,
                java.time.Clock.fixed(NOW, java.time.ZoneOffset.UTC));

        var disarmed = reconciler.plan(credential, true, json).desired();
        assertThat(keyIssued(disarmed).reason).isEqualTo("NotArmed");

        disarmed.getSpec().arming = Arming.ONCE;
        disarmed.getMetadata().setGeneration(2L);
        var armed = reconciler.plan(disarmed, true, json);
        assertThat(armed.changesStatus()).isTrue();
        assertThat(keyIssued(armed.desired())).satisfies(c -> {
            assertThat(c.status).isEqualTo(Condition.FALSE);
            assertThat(c.reason).isEqualTo("AwaitingFirstBoot");
            assertThat(c.observedGeneration).isEqualTo(2L);
        });

        // Issued: the node API's True stays, whatever the arming does next.
        var issued = armed.desired();
        issued.getStatus().conditions = Condition.upsert(issued.getStatus().conditions,
                new Condition(NodeCredentialStatus.KEY_ISSUED, true, "IssuedOverNetwork", "issued", 2L));
        issued.getSpec().arming = Arming.DISARMED;
        assertThat(keyIssued(reconciler.plan(issued, true, json).desired()).reason).isEqualTo("IssuedOverNetwork");
    }

    private static Condition keyIssued(NodeCredential credential) {
        return Condition.find(credential.getStatus().conditions, NodeCredentialStatus.KEY_ISSUED);
    }

    private void create(String name, Arming arming) {
        harness.client.resource(credential(name, arming)).create();
    }

    static NodeCredential credential(String name, Arming arming) {
        var credential = new NodeCredential();
        credential.getMetadata().setName(name);
        credential.getMetadata().setNamespace(NAMESPACE);
        credential.getMetadata().setAnnotations(new java.util.HashMap<>());
        credential.setSpec(new NodeCredentialSpec());
        credential.getSpec().nodeName = name;
        credential.getSpec().profile = "compute";
        credential.getSpec().arming = arming;
        credential.getSpec().hardware = new NodeCredentialSpec.Hardware();
        credential.getSpec().hardware.macs = List.of("52:54:00:12:34:56");
        return credential;
    }

    private NodeCredentialStatus status(String name) {
        var credential = harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName(name).get();
        return credential == null || credential.getStatus() == null ? new NodeCredentialStatus() : credential.getStatus();
    }
}
