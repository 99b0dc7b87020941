package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.api.v1alpha1.NodeCredentialStatus.KeySource;
import dev.tether.nodeapi.ApiKeyIssued;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.NodeApi;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** {@code POST api-key} over real TLS: the arming modes, the hardware check, and what is recorded. */
class NodeApiArmingTest extends NodeApiTestBase {

    @Test
    void aOnceCredentialGivesOneKeyThenRefusesTheReplayedRequest() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        var request = new ArmingRequest(List.of(MAC), null);

        var first = api.post(NAMESPACE, "node-001", NodeApi.API_KEY, null, request);
        assertThat(first.status()).as(first.text()).isEqualTo(200);
        var issued = first.as(ApiKeyIssued.class);
        assertThat(issued.apiKey()).startsWith("tk_");
        assertThat(issued.arming()).isEqualTo("disarmed");
        assertThat(first.header("Cache-Control")).isEqualTo("no-store");
        assertThat(status("node-001").armed).isFalse();
        assertThat(status("node-001").apiKey.issuedVia).isEqualTo(KeySource.NETWORK);

        var replay = api.post(NAMESPACE, "node-001", NodeApi.API_KEY, null, request);
        assertThat(replay.status()).isEqualTo(403);
        assertThat(replay.error().error()).isEqualTo("NotArmed");
        assertThat(replay.error().message()).contains("not armed").contains("kubectl annotate");

        eventually(() -> assertThat(eventsAbout("NodeCredential", "node-001")).extracting(e -> e.getReason())
                .contains("ApiKeyIssued", "NodeApiNotArmed"));
        assertThat(everythingWritten()).doesNotContain(issued.apiKey()).doesNotContain(issued.apiKey().substring(3));
        assertThat(everythingWritten()).doesNotContain(storedHash("node-001").toArray(String[]::new));
    }

    @Test
    void aContinuousCredentialGivesAKeyAtEveryBootAndTheNewOneReplacesTheOld() throws Exception {
        create(credential("node-002", "compute", Arming.CONTINUOUS));

        var first = api.post(NAMESPACE, "node-002", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null));
        var second = api.post(NAMESPACE, "node-002", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null));

        assertThat(first.status()).isEqualTo(200);
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.as(ApiKeyIssued.class).arming()).isEqualTo("continuous");
        String old = first.as(ApiKeyIssued.class).apiKey();
        String current = second.as(ApiKeyIssued.class).apiKey();
        assertThat(api.get(NAMESPACE, "node-002", NodeApi.BOOT_CONFIG, old).status()).as("the old key").isEqualTo(401);
        assertThat(api.get(NAMESPACE, "node-002", NodeApi.BOOT_CONFIG, current).error().error())
                .as("the current key is accepted; the profile does not exist").isEqualTo("NotBootable");
        assertThat(status("node-002").armed).isTrue();
        assertThat(status("node-002").apiKey.issueCount).isEqualTo(2);
        assertThat(current).isNotEqualTo(old);
    }

    @Test
    void aDisarmedCredentialIsRefusedWithTheReasonAndTheWayToArmIt() throws Exception {
        create(credential("node-003", "compute", Arming.DISARMED));

        var refused = api.post(NAMESPACE, "node-003", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null));

        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.error().error()).isEqualTo("NotArmed");
        assertThat(refused.error().message()).contains("arming: DISARMED").contains(NodeCredential.REARM_ANNOTATION);
        eventually(() -> assertThat(eventsAbout("NodeCredential", "node-003")).extracting(e -> e.getReason()).contains("NodeApiNotArmed"));
    }

    @Test
    void hardwareThatTheCredentialDoesNotListIsRefusedAndTheKeyStaysArmed() throws Exception {
        var credential = credential("node-004", "compute", Arming.ONCE);
        credential.getSpec().hardware.smbiosUuid = "4c4c4544-0042-3610-8057-b4c04f333232";
        create(credential);

        var wrongMac = api.post(NAMESPACE, "node-004", NodeApi.API_KEY, null, new ArmingRequest(List.of("52:54:00:aa:bb:cc"), null));
        assertThat(wrongMac.status()).isEqualTo(403);
        assertThat(wrongMac.error().error()).isEqualTo("HardwareMismatch");
        assertThat(status("node-004").armed).isTrue();

        var byUuid = api.post(NAMESPACE, "node-004", NodeApi.API_KEY, null,
                new ArmingRequest(List.of(), "4C4C4544-0042-3610-8057-B4C04F333232"));
        assertThat(byUuid.status()).as("the SMBIOS UUID alone identifies the node, in either case").isEqualTo(200);
        eventually(() -> assertThat(eventsAbout("NodeCredential", "node-004")).extracting(e -> e.getReason())
                .contains("NodeApiHardwareMismatch"));
    }

    @Test
    void twoConcurrentFetchesOfAOnceCredentialGiveExactlyOneKey() throws Exception {
        create(credential("node-005", "compute", Arming.ONCE));
        Callable<Integer> fetch = () -> api.post(NAMESPACE, "node-005", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null)).status();

        try (var pool = Executors.newFixedThreadPool(2)) {
            var statuses = pool.invokeAll(List.of(fetch, fetch)).stream().map(f -> {
                try {
                    return f.get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
            assertThat(statuses).containsExactlyInAnyOrder(200, 403);
        }
        assertThat(status("node-005").apiKey.issueCount).isEqualTo(1);
    }

    @Test
    void anUnknownNodeIsTold404AndTheNamespaceGetsAnEvent() throws Exception {
        var refused = api.post(NAMESPACE, "node-999", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null));

        assertThat(refused.status()).isEqualTo(404);
        assertThat(refused.error().error()).isEqualTo("UnknownNode");
        eventually(() -> assertThat(eventsAbout("Namespace", NAMESPACE)).anySatisfy(e -> {
            assertThat(e.getReason()).isEqualTo("NodeApiUnknownNode");
            assertThat(e.getNote()).contains("node-999");
        }));
    }

    @Test
    void twoCredentialsNamingTheSameNodeAreAConflictToFix() throws Exception {
        create(credential("node-006", "compute", Arming.ONCE));
        var twin = credential("node-006-twin", "compute", Arming.ONCE);
        twin.getSpec().nodeName = "node-006";
        create(twin);

        var refused = api.post(NAMESPACE, "node-006", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null));

        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.error().error()).isEqualTo("AmbiguousNode");
        assertThat(refused.error().message()).contains("node-006-twin").contains("spec.nodeName node-006");
    }

    @Test
    void aOnceCredentialAskedAgainAfterItIssuedWarnsOfPossibleKeyTheftNamingTheSource() throws Exception {
        create(credential("node-007", "compute", Arming.ONCE));
        fetchKey("node-007");

        var again = api.post(NAMESPACE, "node-007", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null));

        assertThat(again.status()).isEqualTo(403);
        assertThat(again.error().message()).contains("its one key was issued at");
        eventually(() -> assertThat(eventsAbout("NodeCredential", "node-007")).anySatisfy(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getReason()).isEqualTo("PossibleKeyTheft");
            assertThat(e.getNote()).contains("possible key theft").contains("127.0.0.1").contains("re-arm");
        }));
    }

    @Test
    void aDisarmedCredentialThatNeverIssuedRaisesNoTheftWarning() throws Exception {
        create(credential("node-008", "compute", Arming.DISARMED));

        assertThat(api.post(NAMESPACE, "node-008", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null)).status()).isEqualTo(403);

        eventually(() -> assertThat(eventsAbout("NodeCredential", "node-008")).extracting(e -> e.getReason()).contains("NodeApiNotArmed"));
        assertThat(eventsAbout("NodeCredential", "node-008")).extracting(e -> e.getReason()).doesNotContain("PossibleKeyTheft");
    }

    @Test
    void aClosedArmingWindowIssuesNothingAndSaysHowToOpenIt() throws Exception {
        var credential = credential("node-009", "continuous", Arming.CONTINUOUS);
        credential.getSpec().armedUntil = "2020-01-01T00:00:00Z";
        create(credential);
        eventually(() -> assertThat(status("node-009").armed).as("status shows the window closed").isFalse());

        var refused = api.post(NAMESPACE, "node-009", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null));

        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.error().error()).isEqualTo("NotArmed");
        assertThat(refused.error().message()).contains("arming window").contains("spec.armedUntil 2020-01-01T00:00:00Z")
                .contains("kubectl patch");
        assertThat(status("node-009").apiKey).as("no key issued").isNull();
    }

    @Test
    void anOpenArmingWindowIssues() throws Exception {
        var credential = credential("node-010", "compute", Arming.ONCE);
        credential.getSpec().armedUntil = "2999-01-01T00:00:00Z";
        create(credential);

        assertThat(fetchKey("node-010")).startsWith("tk_");
    }

    @Test
    void tpmFieldsThatAreNotBoundedBase64PublicAreasAreBadRequests() throws Exception {
        var credential = credential("node-011", "compute", Arming.ONCE);
        credential.getSpec().endorsementKey = "sha256:" + "ab".repeat(32);
        create(credential);

        var tooLong = api.post(NAMESPACE, "node-011", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null,
                new ArmingRequest.Tpm("A".repeat(ArmingRequest.Tpm.MAX_FIELD_CHARS + 4), "AAAA")));
        var notBase64 = api.post(NAMESPACE, "node-011", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null,
                new ArmingRequest.Tpm("not base64!", "AAAA")));
        var missing = api.post(NAMESPACE, "node-011", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null,
                new ArmingRequest.Tpm(null, "AAAA")));

        assertThat(List.of(tooLong, notBase64, missing)).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.error().error()).isEqualTo("BadRequest");
            assertThat(r.error().message()).contains("tpm.endorsementKey");
        });
        assertThat(status("node-011").armed).isTrue();
        assertThat(status("node-011").apiKey).isNull();
    }
}
