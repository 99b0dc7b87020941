package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.HostKeys;
import dev.tether.nodeapi.NodeApi;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** Every kind of bad request gets a clear 4xx ApiError, an event, and leaves no secret in any log line. */
class NodeApiRefusalTest extends NodeApiTestBase {

    @Test
    void aWrongKeyAndAnUnknownNodeGetTheSame401() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");
        String wrong = "tk_" + "A".repeat(43);

        var wrongKey = api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, wrong);
        var unknownNode = api.get(NAMESPACE, "node-404", NodeApi.BOOT_CONFIG, key);
        var noKey = api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, null);

        assertThat(wrongKey.status()).isEqualTo(401);
        assertThat(unknownNode.status()).isEqualTo(401);
        assertThat(wrongKey.error().error()).isEqualTo("BadCredentials").isEqualTo(unknownNode.error().error());
        assertThat(wrongKey.error().message().replace("node-001", "X")).isEqualTo(unknownNode.error().message().replace("node-404", "X"));
        assertThat(noKey.status()).isEqualTo(401);
        eventually(() -> assertThat(eventsAbout("NodeCredential", "node-001")).extracting(e -> e.getReason()).contains("NodeApiBadCredentials"));
        eventually(() -> assertThat(eventsAbout("Namespace", NAMESPACE)).extracting(e -> e.getNote()).anyMatch(n -> n.contains("node-404")));
        assertThat(everythingWritten()).doesNotContain(key.substring(3)).doesNotContain(wrong.substring(3))
                .doesNotContain(storedHash("node-001").toArray(String[]::new));
    }

    @Test
    void anOversizedBodyIsRefusedUnreadWith413() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        byte[] huge = ("{\"macs\":[\"" + "x".repeat(NodeApi.MAX_BODY_BYTES) + "\"]}").getBytes(StandardCharsets.US_ASCII);

        var refused = api.post(NAMESPACE, "node-001", NodeApi.API_KEY, null, huge);

        assertThat(refused.status()).isEqualTo(413);
        assertThat(refused.error().error()).isEqualTo("BodyTooLarge");
        assertThat(refused.header("Connection")).isEqualTo("close");
        assertThat(status("node-001").armed).isTrue();
        eventually(() -> assertThat(eventsAbout("NodeCredential", "node-001")).extracting(e -> e.getReason()).contains("NodeApiBodyTooLarge"));
    }

    @Test
    void anOversizedChunkedBodyIsRefusedToo() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String head = "POST " + NodeApi.path(NAMESPACE, "node-001", NodeApi.API_KEY) + " HTTP/1.1\r\nHost: tether-node-api\r\n"
                + "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n";
        var chunks = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            chunks.append(Integer.toHexString(8192)).append("\r\n").append("x".repeat(8192)).append("\r\n");
        }
        chunks.append("0\r\n\r\n");

        var refused = api.exchange(head.getBytes(StandardCharsets.US_ASCII), chunks.toString().getBytes(StandardCharsets.US_ASCII));

        assertThat(refused.status()).isEqualTo(413);
        assertThat(refused.error().error()).isEqualTo("BodyTooLarge");
    }

    @Test
    void malformedBodiesAreRefusedWithWhatIsWrongButNotWhatWasSent() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String secretLooking = "tk_" + "S".repeat(43);

        var notJson = api.post(NAMESPACE, "node-001", NodeApi.API_KEY, null, "{\"macs\": [" + secretLooking);
        var unknownField = api.post(NAMESPACE, "node-001", NodeApi.API_KEY, null, "{\"macs\":[\"" + MAC + "\"],\"apiKey\":\"x\"}");
        var wrongType = api.post(NAMESPACE, "node-001", NodeApi.API_KEY, null, "{\"macs\":\"" + MAC + "\"}");
        var duplicate = api.post(NAMESPACE, "node-001", NodeApi.API_KEY, null, "{\"smbiosUuid\":null,\"smbiosUuid\":null,\"macs\":[]}");
        var trailing = api.post(NAMESPACE, "node-001", NodeApi.API_KEY, null, "{\"macs\":[\"" + MAC + "\"]} {}");
        var badMac = api.post(NAMESPACE, "node-001", NodeApi.API_KEY, null, new ArmingRequest(List.of(secretLooking), null));
        var empty = api.post(NAMESPACE, "node-001", NodeApi.API_KEY, null, new byte[0]);

        for (var refused : List.of(notJson, unknownField, wrongType, duplicate, trailing, badMac, empty)) {
            assertThat(refused.status()).as(refused.text()).isEqualTo(400);
            assertThat(refused.error().error()).isEqualTo("BadRequest");
            assertThat(refused.text()).doesNotContain(secretLooking.substring(3)).doesNotContain("Exception").doesNotContain("\tat ");
        }
        assertThat(unknownField.error().message()).contains("unknown field 'apiKey'");
        assertThat(status("node-001").armed).as("nothing was issued").isTrue();
        assertThat(everythingWritten()).doesNotContain(secretLooking.substring(3));
        eventually(() -> assertThat(eventsAbout("NodeCredential", "node-001")).extracting(e -> e.getReason()).contains("NodeApiBadRequest"));
    }

    @Test
    void aNodeGetsNoKeyOfAnotherProfilesImage() throws Exception {
        String ownKey = publishedImage("bookworm", DIGEST);
        String otherKey = publishedImage("trixie", OTHER_DIGEST);
        profile("compute", "bookworm");
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");

        var other = api.get(NAMESPACE, "node-001", NodeApi.IMAGE_KEY + "?digest=" + OTHER_DIGEST, key);
        var unknown = api.get(NAMESPACE, "node-001", NodeApi.IMAGE_KEY + "?digest=sha256:" + "f".repeat(64), key);
        var malformed = api.get(NAMESPACE, "node-001", NodeApi.IMAGE_KEY + "?digest=sha256:ABC", key);
        var own = api.get(NAMESPACE, "node-001", NodeApi.IMAGE_KEY + "?digest=" + DIGEST, key);

        assertThat(other.status()).isEqualTo(403);
        assertThat(other.error().error()).isEqualTo("NotThisNodesImage");
        assertThat(other.text()).doesNotContain(otherKey);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.error().error()).isEqualTo("UnknownVersion");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.error().error()).isEqualTo("BadDigest");
        assertThat(own.status()).isEqualTo(200);
        assertThat(own.as(dev.tether.nodeapi.ImageKeyIssued.class).keyHex()).isEqualTo(ownKey);
        eventually(() -> assertThat(eventsAbout("NodeCredential", "node-001")).extracting(e -> e.getReason())
                .contains("NodeApiNotThisNodesImage"));
        assertThat(everythingWritten()).doesNotContain(ownKey).doesNotContain(otherKey).doesNotContain(key.substring(3));
    }

    @Test
    void badPublicKeysAndBadReportsAreRefused() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");

        var notAKey = api.post(NAMESPACE, "node-001", NodeApi.HOST_CERTIFICATES, key, new HostKeys(List.of("ssh-ed25519 not-base64!")));
        var none = api.post(NAMESPACE, "node-001", NodeApi.HOST_CERTIFICATES, key, new HostKeys(List.of()));
        var badDigest = api.post(NAMESPACE, "node-001", NodeApi.BOOT_REPORT, key,
                "{\"digest\":\"sha256:xyz\",\"method\":\"tethered\",\"keySource\":\"tpm\",\"phaseMillis\":{}}");
        var badSource = api.post(NAMESPACE, "node-001", NodeApi.BOOT_REPORT, key,
                "{\"digest\":\"" + DIGEST + "\",\"method\":\"tethered\",\"keySource\":\"usb\",\"phaseMillis\":{}}");
        var negative = api.post(NAMESPACE, "node-001", NodeApi.BOOT_REPORT, key,
                "{\"digest\":\"" + DIGEST + "\",\"method\":\"tethered\",\"keySource\":\"tpm\",\"phaseMillis\":{\"mount\":-1}}");
        var negativeFetch = api.post(NAMESPACE, "node-001", NodeApi.BOOT_REPORT, key,
                "{\"digest\":\"" + DIGEST + "\",\"method\":\"tethered\",\"keySource\":\"tpm\",\"phaseMillis\":{},"
                        + "\"fetch\":{\"requests\":10,\"hedges\":0,\"edgeFailures\":-1,\"integrityFailures\":0,\"bytes\":0}}");
        var absurdFetch = api.post(NAMESPACE, "node-001", NodeApi.BOOT_REPORT, key,
                "{\"digest\":\"" + DIGEST + "\",\"method\":\"tethered\",\"keySource\":\"tpm\",\"phaseMillis\":{},"
                        + "\"fetch\":{\"requests\":10,\"hedges\":0,\"edgeFailures\":0,\"integrityFailures\":0,"
                        + "\"bytes\":9223372036854775807}}");
        var negativeUseful = api.post(NAMESPACE, "node-001", NodeApi.BOOT_REPORT, key,
                "{\"digest\":\"" + DIGEST + "\",\"method\":\"tethered\",\"keySource\":\"tpm\",\"phaseMillis\":{},"
                        + "\"fetch\":{\"requests\":10,\"hedges\":0,\"edgeFailures\":0,\"integrityFailures\":0,"
                        + "\"bytes\":100,\"usefulBytes\":-1}}");
        var fetchNotNumbers = api.post(NAMESPACE, "node-001", NodeApi.BOOT_REPORT, key,
                "{\"digest\":\"" + DIGEST + "\",\"method\":\"tethered\",\"keySource\":\"tpm\",\"phaseMillis\":{},"
                        + "\"fetch\":{\"requests\":\"many\"}}");
        var negativeMemory = api.post(NAMESPACE, "node-001", NodeApi.BOOT_REPORT, key,
                "{\"digest\":\"" + DIGEST + "\",\"method\":\"tethered\",\"keySource\":\"tpm\",\"phaseMillis\":{},"
                        + "\"agentMemory\":{\"anonymousBytes\":1,\"fileBytes\":-5,\"chunkCacheBytes\":0,\"heapMaxBytes\":0,"
                        + "\"directMaxBytes\":0}}");

        assertThat(List.of(notAKey, none)).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.error().error()).isEqualTo("BadPublicKey");
        });
        assertThat(negativeFetch.error().message()).contains("fetch.edgeFailures");
        assertThat(absurdFetch.error().message()).contains("fetch.bytes");
        assertThat(negativeUseful.error().message()).contains("fetch.usefulBytes");
        assertThat(negativeMemory.error().message()).contains("agentMemory.fileBytes");
        assertThat(List.of(badDigest, badSource, negative, negativeFetch, absurdFetch, negativeUseful, fetchNotNumbers,
                negativeMemory)).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.error().error()).isEqualTo("BadReport");
        });
        assertThat(status("node-001").lastBoot).isNull();
    }

    @Test
    void badPathsMethodsAndHeadersGetClearAnswers() throws Exception {
        var noSuchPath = api.send("GET", "/v1/nodes", null, null);
        var encoded = api.send("GET", "/v1/namespaces/hpc/nodes/node%2D001/boot-config", null, null);
        var noSuchEndpoint = api.get(NAMESPACE, "node-001", "shell", null);
        var wrongMethod = api.send("DELETE", NodeApi.path(NAMESPACE, "node-001", NodeApi.API_KEY), null, null);
        String bigHeader = "GET " + NodeApi.path(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG) + " HTTP/1.1\r\nHost: x\r\nX-Padding: "
                + "p".repeat(20_000) + "\r\n\r\n";
        var tooLarge = api.exchange(bigHeader.getBytes(StandardCharsets.US_ASCII), null);
        var longKey = api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, "tk_" + "A".repeat(500));

        assertThat(noSuchPath.status()).isEqualTo(404);
        assertThat(encoded.status()).isEqualTo(400);
        assertThat(encoded.error().error()).isEqualTo("BadPath");
        assertThat(noSuchEndpoint.status()).isEqualTo(404);
        assertThat(wrongMethod.status()).isEqualTo(405);
        assertThat(tooLarge.status()).isEqualTo(431);
        assertThat(tooLarge.error().error()).isEqualTo("BadRequest");
        assertThat(longKey.status()).isEqualTo(401);
    }

    @Test
    void pipelinedRequestsGetOneAnswerAndTheConnectionCloses() throws Exception {
        String request = "GET " + NodeApi.path(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG) + " HTTP/1.1\r\nHost: tether-node-api\r\n\r\n";

        var response = api.exchange((request + request + request).getBytes(StandardCharsets.US_ASCII), null);

        assertThat(response.status()).isEqualTo(401);
        assertThat(response.text()).doesNotContain("HTTP/1.1");
    }

    @Test
    void theServerProvesTheNameTetherNodeApiAndNothingElse() throws Exception {
        var wrongName = new NodeApiTestClient(server.address(), harness.operator().trust().clusterCa().certificate(), "evil.example");
        assertThatThrownBy(wrongName::connect).isInstanceOf(SSLHandshakeException.class);

        var serviceName = new NodeApiTestClient(server.address(), harness.operator().trust().clusterCa().certificate(),
                "tether-node-api.tether-system.svc");
        serviceName.connect().close();
    }
}
