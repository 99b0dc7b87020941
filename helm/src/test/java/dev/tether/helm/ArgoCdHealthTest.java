package dev.tether.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chart's Argo CD health check (argocd/health.lua), run by a real Lua 5.4 as Argo CD runs it: {@code obj} is the
 * resource as a Lua table, the script returns {@code {status, message}}. The statuses are those the operator
 * writes in each kind's life cycle (KStatusLifecycleTest in the operator).
 */
class ArgoCdHealthTest {
    private static final Path SCRIPT = TetherChart.DIRECTORY.resolve("argocd/health.lua");
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void needsLua() {
        boolean present = Files.isExecutable(Path.of("/usr/bin/lua5.4"));
        if (!present) {
            System.err.println("SKIPPED ArgoCdHealthTest: lua5.4 is not installed (apt-get install lua5.4)");
        }
        Assumptions.assumeTrue(present, "SKIPPED: lua5.4 is not installed (apt-get install lua5.4)");
    }

    @Test
    void aPublishedImageIsHealthy() throws Exception {
        var health = health("DisklessImage", 2, 2, """
                [{"type":"Built","status":"True","reason":"BuildSucceeded","message":"built"},
                 {"type":"Ready","status":"True","reason":"Published","message":"Version aaaaaaaaaaaa of generation 2 is published."}]""");
        assertThat(health).containsEntry("status", "Healthy").containsEntry("message", "Version aaaaaaaaaaaa of generation 2 is published.");
    }

    @Test
    void aBuildingImageIsProgressing() throws Exception {
        var health = health("DisklessImage", 2, 2, """
                [{"type":"Ready","status":"False","reason":"Building","message":"Building generation 2 in Job bookworm-build-g2."},
                 {"type":"Reconciling","status":"True","reason":"Building","message":"Building generation 2 in Job bookworm-build-g2."}]""");
        assertThat(health).containsEntry("status", "Progressing").containsEntry("message", "Building generation 2 in Job bookworm-build-g2.");
    }

    @Test
    void aFailedBuildIsDegraded() throws Exception {
        var health = health("DisklessImage", 1, 1, """
                [{"type":"Ready","status":"False","reason":"BuildFailed","message":"The build of generation 1 failed"},
                 {"type":"Stalled","status":"True","reason":"BuildFailed","message":"The build of generation 1 failed: debootstrap exited with 100"}]""");
        assertThat(health).containsEntry("status", "Degraded");
        assertThat(health.get("message")).contains("debootstrap exited with 100");
    }

    @Test
    void aStatusOfAnOlderGenerationIsProgressingWhateverItSays() throws Exception {
        var health = health("NodeProfile", 3, 2, """
                [{"type":"Ready","status":"True","reason":"Serving","message":"Serving aaaaaaaaaaaa from 2 of 2 edges."}]""");
        assertThat(health).containsEntry("status", "Progressing");
        assertThat(health.get("message")).contains("generation 3");
    }

    @Test
    void aProfileWithEdgesStartingIsProgressingAndWithoutItsImageDegraded() throws Exception {
        assertThat(health("NodeProfile", 1, 1, """
                [{"type":"Ready","status":"False","reason":"EdgesNotReady","message":"Edges are starting (1 of 2 ready)."},
                 {"type":"Reconciling","status":"True","reason":"EdgesNotReady","message":"Edges are starting (1 of 2 ready)."}]"""))
                .containsEntry("status", "Progressing");
        assertThat(health("NodeProfile", 1, 1, """
                [{"type":"Ready","status":"False","reason":"ImageNotFound","message":"DisklessImage bookworm does not exist"},
                 {"type":"Stalled","status":"True","reason":"ImageNotFound","message":"DisklessImage bookworm does not exist"}]"""))
                .containsEntry("status", "Degraded");
    }

    @Test
    void aCredentialIsHealthyWithItsProfileAndProgressingBeforeAnyStatus() throws Exception {
        assertThat(health("NodeCredential", 1, 1, """
                [{"type":"Ready","status":"True","reason":"ProfileFound","message":"Boots with NodeProfile compute."},
                 {"type":"KeyIssued","status":"False","reason":"AwaitingFirstBoot","message":"The node may fetch its key."}]"""))
                .containsEntry("status", "Healthy");
        assertThat(run(Map.of("apiVersion", "tether.dev/v1alpha1", "kind", "NodeCredential",
                "metadata", Map.of("name", "node-001", "generation", 1))))
                .containsEntry("status", "Progressing");
    }

    @Test
    void aDiscoveredMachineProgressesWhileItWaitsAndIsDegradedWhenRegistrationsConflict() throws Exception {
        assertThat(health("DiscoveredNode", 1, 1, """
                [{"type":"Ready","status":"False","reason":"AwaitingAcceptance","message":"Waiting for an administrator to set spec.accept to true."},
                 {"type":"Reconciling","status":"True","reason":"AwaitingAcceptance","message":"Waiting for an administrator to set spec.accept to true."}]"""))
                .containsEntry("status", "Progressing");
        assertThat(health("DiscoveredNode", 2, 2, """
                [{"type":"Ready","status":"False","reason":"ConflictingRegistrations","message":"1 registration(s) under MAC 52:54:00:aa:00:01 reported other hardware"},
                 {"type":"Stalled","status":"True","reason":"ConflictingRegistrations","message":"1 registration(s) under MAC 52:54:00:aa:00:01 reported other hardware"}]"""))
                .containsEntry("status", "Degraded");
        assertThat(health("DiscoveredNode", 2, 2, """
                [{"type":"Ready","status":"True","reason":"Enrolled","message":"Enrolled as NodeCredential node-525400aa0001."}]"""))
                .containsEntry("status", "Healthy");
    }

    private static Map<String, String> health(String kind, long generation, long observedGeneration, String conditions) throws Exception {
        JsonNode status = JSON.createObjectNode()
                .put("observedGeneration", observedGeneration)
                .set("conditions", JSON.readTree(conditions));
        return run(Map.of("apiVersion", "tether.dev/v1alpha1", "kind", kind,
                "metadata", Map.of("name", "x", "namespace", "hpc", "generation", generation),
                "status", status));
    }

    /** Runs the script on {@code resource} and returns what it answered. */
    private static Map<String, String> run(Object resource) throws Exception {
        String program = "obj = " + lua(JSON.valueToTree(resource)) + "\n"
                + "local hs = assert(loadfile(arg[1]))()\n"
                + "io.write(hs.status, '\\n', hs.message or '')\n";
        Path file = Files.createTempFile("argocd-health", ".lua");
        try {
            Files.writeString(file, program);
            var process = new ProcessBuilder("/usr/bin/lua5.4", file.toString(), SCRIPT.toString()).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).as("lua5.4 said: %s", output).isZero();
            String[] lines = output.split("\n", 2);
            return Map.of("status", lines[0], "message", lines.length > 1 ? lines[1] : "");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** JSON as a Lua table constructor: objects keyed by name, arrays as sequences (ipairs), as Argo CD converts them. */
    private static String lua(JsonNode node) throws IOException {
        if (node.isObject()) {
            var out = new StringBuilder("{");
            for (var field : node.properties()) {
                out.append("[").append(quote(field.getKey())).append("]=").append(lua(field.getValue())).append(",");
            }
            return out.append("}").toString();
        }
        if (node.isArray()) {
            var out = new StringBuilder("{");
            for (JsonNode item : node) {
                out.append(lua(item)).append(",");
            }
            return out.append("}").toString();
        }
        if (node.isNumber() || node.isBoolean()) {
            return node.asText();
        }
        return node.isNull() ? "nil" : quote(node.asText());
    }

    private static String quote(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
