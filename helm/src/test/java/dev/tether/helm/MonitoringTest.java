package dev.tether.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The chart's Prometheus Operator objects, and its alerts checked by the real promtool (Debian's prometheus package):
 * {@code promtool check rules} on the rule file and {@code promtool test rules} with the series that should (and should
 * not) raise each alert.
 */
class MonitoringTest {
    private static final Path RULES = TetherChart.DIRECTORY.resolve("files/prometheus/rules.yaml");
    private static final Path RULE_TESTS = Path.of("src/test/resources/prometheus/rules-test.yaml").toAbsolutePath();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void nothingForPrometheusOperatorByDefault() {
        assertThat(TetherChart.render().objects()).noneMatch(o -> o.getApiVersion().startsWith("monitoring.coreos.com/"));
    }

    @Test
    void monitorsScrapeTheOperatorOriginAndEdgesAndTheRuleCarriesTheCheckedFile() throws Exception {
        var chart = TetherChart.render("""
                monitoring:
                  serviceMonitor: {enabled: true}
                  podMonitor: {enabled: true}
                  prometheusRule: {enabled: true}
                  labels: {release: kube-prometheus-stack}
                """);
        var monitoring = chart.objects().stream().filter(o -> o.getApiVersion().equals("monitoring.coreos.com/v1"))
                .map(GenericKubernetesResource.class::cast).toList();
        assertThat(monitoring).extracting(o -> o.getKind() + "/" + o.getMetadata().getName())
                .containsExactlyInAnyOrder("ServiceMonitor/tether-operator", "PodMonitor/tether-origin", "PodMonitor/tether-edges",
                        "PrometheusRule/tether");
        assertThat(monitoring).allSatisfy(o -> assertThat(o.getMetadata().getLabels()).containsEntry("release", "kube-prometheus-stack"));
        assertThat(chart.all(Service.class)).as("the ServiceMonitor needs the metrics Service")
                .anySatisfy(s -> assertThat(s.getMetadata().getName()).isEqualTo("tether-operator-metrics"));

        var edges = monitoring.stream().filter(o -> o.getMetadata().getName().equals("tether-edges")).findFirst().orElseThrow();
        Map<String, Object> spec = edges.get("spec");
        assertThat((Object) spec.get("selector")).isEqualTo(Map.of("matchLabels",
                Map.of("app.kubernetes.io/managed-by", "tether-operator", "app.kubernetes.io/component", "edge")));
        assertThat(spec.get("podTargetLabels")).as("the alerts name the profile").isEqualTo(List.of("app.kubernetes.io/component", "tether.dev/profile"));
        assertThat((Object) spec.get("namespaceSelector")).isEqualTo(Map.of("any", true));

        var rule = monitoring.stream().filter(o -> o.getKind().equals("PrometheusRule")).findFirst().orElseThrow();
        com.fasterxml.jackson.databind.JsonNode ruleSpec = YAML.valueToTree(rule.get("spec"));
        assertThat(ruleSpec).isEqualTo(YAML.readTree(RULES.toFile()));
    }

    /** Its queries are run against a real Prometheus by the operator's DashboardQueriesTest. */
    @Test
    void theDashboardIsAConfigMapForGrafanasSidecar() throws Exception {
        assertThat(TetherChart.render().all(io.fabric8.kubernetes.api.model.ConfigMap.class))
                .noneMatch(c -> c.getMetadata().getName().endsWith("-dashboard"));
        var dashboard = TetherChart.render("monitoring: {grafanaDashboard: {enabled: true}}")
                .all(io.fabric8.kubernetes.api.model.ConfigMap.class).stream()
                .filter(c -> c.getMetadata().getName().equals("tether-dashboard")).findFirst().orElseThrow();
        assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        var json = new ObjectMapper().readTree(dashboard.getData().get("tether-dashboard.json"));
        assertThat(json).isEqualTo(new ObjectMapper().readTree(TetherChart.DIRECTORY.resolve("files/grafana/tether-dashboard.json").toFile()));
        assertThat(json.path("panels")).extracting(p -> p.path("title").asText())
                .contains("Boots per minute", "Boot phases (mean seconds per boot)", "Bytes read per boot", "Edge throughput",
                        "Edge cache hit ratio");
    }

    @Test
    void theAlertsPassPromtoolsCheckAndTheirUnitTests() throws Exception {
        boolean present = Files.isExecutable(Path.of("/usr/bin/promtool"));
        if (!present) {
            System.err.println("SKIPPED MonitoringTest: promtool is not installed (apt-get install prometheus)");
        }
        Assumptions.assumeTrue(present, "SKIPPED: promtool is not installed (apt-get install prometheus)");
        assertThat(promtool(RULES.getParent(), "check", "rules", RULES.toString())).contains("SUCCESS: 6 rules found");
        assertThat(promtool(RULE_TESTS.getParent(), "test", "rules", RULE_TESTS.toString())).contains("SUCCESS");
    }

    private static String promtool(Path dir, String... args) throws Exception {
        var command = new java.util.ArrayList<>(List.of("/usr/bin/promtool"));
        command.addAll(List.of(args));
        var process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("promtool %s said:%n%s", String.join(" ", args), output).isZero();
        return output;
    }
}
