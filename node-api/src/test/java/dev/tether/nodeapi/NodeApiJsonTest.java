package dev.tether.nodeapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The agent (jackson-jr, {@link NodeApiJson}) and the operator (databind, by the records' annotations) write the same
 * JSON for every wire type, and each reads what the other wrote: a field one side names differently, leaves out
 * differently or shapes differently fails here, not on a booting node.
 */
class NodeApiJsonTest {
    /** As the operator's node API reads bodies: unknown properties are a newer agent's, not an error. */
    private static final ObjectMapper OPERATOR = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    static Stream<Object> wireValues() {
        EkBoundKey bound = new EkBoundKey("Y3JlZA==", "c2VjcmV0", "bm9uY2U=", "a2V5");
        return Stream.of(
                new ApiError("NotArmed", "the credential is not armed"),
                new ApiKeyIssued("tk_abc", "2026-12-03T10:00:00Z", bound),
                new ApiKeyIssued("tk_abc", null),
                new ArmingRequest(List.of("52:54:00:12:34:56"), "uuid-1", new ArmingRequest.Tpm("ek", "ak")),
                new ArmingRequest(List.of(), null),
                new BootConfiguration("tether", "node-1", "node-1.cluster", List.of("10.0.0.5"), "compute",
                        "sha256:" + "a".repeat(64), "tethered", List.of("http://10.0.0.1:8080"), List.of("quiet"),
                        new BootConfiguration.WritableLayer(0.5, null, "zstd"), List.of("/var/lib/keep"), "$6$hash",
                        new BootConfiguration.Ssh("ssh-ed25519 AAAA ca", List.of("ed25519", "rsa"), List.of()), "required",
                        new NodeIdentity("node-1", "node-1.cluster",
                                List.of(new NodeIdentity.NodeFile("/etc/motd", "0644", "root:root", "hello \"node\"\n")), null)),
                new BootConfiguration("tether", "node-2", null, List.of(), "compute", "sha256:" + "b".repeat(64),
                        "untethered", List.of(), List.of(), new BootConfiguration.WritableLayer(null, 1L << 30, null), List.of(),
                        null, null, null),
                BootFiles.of("sha256:" + "c".repeat(64), List.of("/usr/bin/env", "/etc/hostname", "/usr/bin/ls"),
                        NodeApi.MAX_BODY_BYTES),
                new BootReport("sha256:" + "d".repeat(64), "tethered", "tpm", Map.of("image", 120L, "mount", 7L),
                        new BootReport.Fetch(10, 1, 0, 0, 1 << 20, 900_000L),
                        new BootReport.AgentMemory(60L << 20, 20L << 20, 8L << 20, 32L << 20, 48L << 20)),
                new BootReport("sha256:" + "d".repeat(64), "untethered", "network", Map.of(),
                        new BootReport.Fetch(10, 1, 0, 0, 1 << 20, null)),
                new DiscoveryAnswer(DiscoveryAnswer.State.PENDING, null, "waiting for an administrator"),
                new DiscoveryAnswer(DiscoveryAnswer.State.ENROLLED, "node-3", null),
                new DiscoveryRequest(List.of("52:54:00:12:34:56"), "uuid", "SN1", "Standard PC", null),
                new HostCertificates(List.of("ssh-ed25519-cert-v01@openssh.com AAAA"), "ssh-ed25519 AAAA ca",
                        List.of("node-1", "node-1.cluster"), "20270101000000", List.of("node-1*")),
                new HostKeys(List.of("ssh-ed25519 AAAA host")),
                new ImageKeyIssued("sha256:" + "e".repeat(64), "key-1", "00ff".repeat(16)),
                new PersistenceKey("11".repeat(32), 3, 1 << 20, 300, "pt_token"),
                new PersistenceSaved(4, 5000));
    }

    @ParameterizedTest
    @MethodSource("wireValues")
    void theAgentWritesWhatTheOperatorWritesAndEachReadsTheOther(Object value) throws Exception {
        byte[] agent = NodeApiJson.JSON.asBytes(value);
        byte[] operator = OPERATOR.writeValueAsBytes(value);

        assertThat(withoutNulls(OPERATOR.readTree(agent))).as(new String(agent)).isEqualTo(withoutNulls(OPERATOR.readTree(operator)));
        assertThat(NodeApiJson.JSON.beanFrom(value.getClass(), operator)).isEqualTo(value);
        assertThat(OPERATOR.readValue(agent, value.getClass())).isEqualTo(value);
    }

    /** A null member and an absent one read the same on both sides. */
    private static JsonNode withoutNulls(JsonNode node) {
        if (node instanceof ObjectNode object) {
            object.properties().removeIf(member -> member.getValue().isNull());
        }
        node.forEach(NodeApiJsonTest::withoutNulls);
        return node;
    }

    @Test
    void anAnswerWithFieldsThisAgentDoesNotKnowStillReads() throws Exception {
        String newer = "{\"digest\":\"sha256:" + "e".repeat(64) + "\",\"keyId\":\"k\",\"keyHex\":\"00\","
                + "\"rotation\":{\"next\":\"k2\"},\"hints\":[1,2]}";

        assertThat(NodeApiJson.JSON.beanFrom(ImageKeyIssued.class, newer))
                .isEqualTo(new ImageKeyIssued("sha256:" + "e".repeat(64), "k", "00"));
    }

    @Test
    void aNumberTheAnswerLeftOutIsAnErrorNotAZero() {
        assertThatThrownBy(() -> NodeApiJson.JSON.beanFrom(PersistenceKey.class, "{\"keyHex\":\"00\",\"maxBytes\":1,"
                + "\"saveIntervalSeconds\":1,\"token\":\"t\"}"))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("PersistenceKey");
    }

    @Test
    void anObjectOrArrayWhereAStringBelongsIsRefusedAsDatabindRefusesIt() throws Exception {
        for (String keyId : List.of("{\"a\":1}", "[\"a\"]")) {
            String answer = "{\"digest\":\"sha256:" + "e".repeat(64) + "\",\"keyId\":" + keyId + ",\"keyHex\":\"00\"}";
            assertThatThrownBy(() -> OPERATOR.readValue(answer, ImageKeyIssued.class)).isInstanceOf(java.io.IOException.class);
            assertThatThrownBy(() -> NodeApiJson.JSON.beanFrom(ImageKeyIssued.class, answer))
                    .isInstanceOf(java.io.IOException.class).hasMessageContaining("expected a string");
        }
        assertThatThrownBy(() -> NodeApiJson.JSON.beanFrom(HostKeys.class, "{\"publicKeys\":[{\"k\":1}]}"))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("expected a string");
        assertThat(NodeApiJson.JSON.beanFrom(ImageKeyIssued.class, "{\"keyId\":7}").keyId()).as("a number, as databind coerces it")
                .isEqualTo(OPERATOR.readValue("{\"keyId\":7}", ImageKeyIssued.class).keyId());
    }

    @Test
    void malformedJsonIsRefusedWithAnExceptionNotANull() {
        assertThatThrownBy(() -> NodeApiJson.JSON.beanFrom(HostCertificates.class, "{\"certificates\":[\"a\""))
                .isInstanceOf(java.io.IOException.class);
        assertThatThrownBy(() -> NodeApiJson.JSON.beanFrom(PersistenceKey.class, "{\"generation\":\"many\"}"))
                .isInstanceOf(java.io.IOException.class);
    }
}
