package dev.tether.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What {@code kubectl explain}, {@code kubectl get} and server-side apply see in the generated CRDs: a description on
 * every field of ours, conditions as a list-map keyed by type, timestamps as date-times, and the Ready columns.
 */
class CrdConventionsTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** Fields whose schema is a Kubernetes type (ResourceRequirements, Toleration), described by Kubernetes' own docs. */
    private static final List<String> KUBERNETES_TYPES = List.of(".resources.", ".tolerations[].");

    @Test
    void everyFieldOfOursHasADescription() throws Exception {
        for (var crd : generated().entrySet()) {
            var missing = new ArrayList<String>();
            var schema = schema(crd.getValue());
            walk("", schema.path("properties").path("spec"), missing);
            walk("", schema.path("properties").path("status"), missing);
            assertThat(missing).as("fields of %s without @JsonPropertyDescription", crd.getKey()).isEmpty();
        }
    }

    @Test
    void kubectlExplainDescribesEachKindAndItsSpecAndStatus() throws Exception {
        for (var crd : generated().entrySet()) {
            var schema = schema(crd.getValue());
            assertThat(schema.path("description").asText()).as("%s: kubectl explain <kind>", crd.getKey()).isNotBlank();
            assertThat(schema.path("properties").path("spec").path("description").asText()).as("%s: spec", crd.getKey()).isNotBlank();
            assertThat(schema.path("properties").path("status").path("description").asText()).as("%s: status", crd.getKey()).isNotBlank();
        }
        assertThat(schema(generated().get("nodecredentials.tether.dev-v1.yml")).path("description").asText())
                .startsWith("One bare-metal node");
    }

    @Test
    void conditionsAreAListMapKeyedByTypeWithDateTimes() throws Exception {
        for (var crd : generated().entrySet()) {
            JsonNode conditions = schema(crd.getValue()).path("properties").path("status").path("properties").path("conditions");
            assertThat(conditions.path("x-kubernetes-list-type").asText()).as(crd.getKey()).isEqualTo("map");
            assertThat(conditions.path("x-kubernetes-list-map-keys")).extracting(JsonNode::asText).containsExactly("type");
            JsonNode condition = conditions.path("items");
            assertThat(condition.path("required")).extracting(JsonNode::asText).as("a map key must be required").contains("type");
            assertThat(condition.path("properties").path("lastTransitionTime").path("format").asText()).isEqualTo("date-time");
        }
        JsonNode credential = schema(generated().get("nodecredentials.tether.dev-v1.yml")).path("properties").path("status").path("properties");
        assertThat(credential.path("lastBoot").path("properties").path("bootedAt").path("format").asText()).isEqualTo("date-time");
        assertThat(credential.path("apiKey").path("properties").path("issuedAt").path("format").asText()).isEqualTo("date-time");
    }

    @Test
    void kubectlGetShowsReadyAndWideTheReadyMessage() throws Exception {
        for (var crd : generated().entrySet()) {
            JsonNode columns = YAML.readTree(crd.getValue()).path("spec").path("versions").get(0).path("additionalPrinterColumns");
            assertThat(columns).as(crd.getKey()).anySatisfy(c -> {
                assertThat(c.path("name").asText()).isEqualTo("Ready");
                assertThat(c.path("jsonPath").asText()).isEqualTo(".status.conditions[?(@.type==\"Ready\")].status");
                assertThat(c.path("priority").asInt(0)).isZero();
            });
            assertThat(columns).anySatisfy(c -> {
                assertThat(c.path("name").asText()).isEqualTo("Status");
                assertThat(c.path("jsonPath").asText()).isEqualTo(".status.conditions[?(@.type==\"Ready\")].message");
                assertThat(c.path("priority").asInt()).as("wide only").isEqualTo(1);
            });
        }
        assertThat(columnNames("nodeprofiles.tether.dev-v1.yml")).containsSubsequence("Ready", "Desired Edges", "Ready Edges", "On Digest");
        assertThat(columnNames("nodecredentials.tether.dev-v1.yml")).containsSubsequence("Node", "Ready", "Last Boot");
    }

    /**
     * A printer column whose path names no field of the schema shows an empty cell for every object, and nothing
     * fails: the API server does not check the paths. So each path must lead, field by field, to a property.
     */
    @Test
    void everyPrinterColumnNamesAFieldOfTheSchema() throws Exception {
        for (var crd : generated().entrySet()) {
            var schema = schema(crd.getValue());
            var columns = YAML.readTree(crd.getValue()).path("spec").path("versions").get(0)
                    .path("additionalPrinterColumns");
            columns.forEach(c -> {
                String path = c.path("jsonPath").asText();
                if (path.startsWith(".metadata.")) {
                    return;
                }
                assertThat(resolve(schema, path).isMissingNode()).as("%s: column %s names %s, which the schema lacks",
                        crd.getKey(), c.path("name").asText(), path).isFalse();
            });
        }
    }

    /** The schema of the field a column's path names ({@code .spec.hardware.macs[0]}), or a missing node. */
    private static JsonNode resolve(JsonNode schema, String jsonPath) {
        JsonNode node = schema;
        // Filters and indexes ([0], [?(@.type=="Ready")]) select list items; their insides are no field names.
        for (String segment : jsonPath.replaceAll("\\[[^\\]]*\\]", "[]").substring(1).split("\\.")) {
            boolean item = segment.endsWith("[]");
            node = node.path("properties").path(item ? segment.substring(0, segment.length() - 2) : segment);
            if (item) {
                node = node.path("items");
            }
        }
        return node;
    }

    private static List<String> columnNames(String file) throws Exception {
        var names = new ArrayList<String>();
        YAML.readTree(generated().get(file)).path("spec").path("versions").get(0).path("additionalPrinterColumns")
                .forEach(c -> names.add(c.path("name").asText()));
        return names;
    }

    private static Map<String, String> generated() {
        return CrdManifests.generate();
    }

    private static JsonNode schema(String yaml) throws Exception {
        return YAML.readTree(yaml).path("spec").path("versions").get(0).path("schema").path("openAPIV3Schema");
    }

    private static void walk(String path, JsonNode schema, List<String> missing) {
        schema.path("properties").properties().forEach(p -> {
            String child = path + "." + p.getKey();
            if (KUBERNETES_TYPES.stream().anyMatch(k -> (child + ".").contains(k))) {
                return;
            }
            if (!p.getValue().hasNonNull("description")) {
                missing.add(child);
            }
            walk(child, p.getValue(), missing);
        });
        if (schema.has("items")) {
            walk(path + "[]", schema.path("items"), missing);
        }
    }
}
