package dev.tether.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What an administrator sets for day two: log format and level, priority classes, disruption budgets. */
class OperationsTest {

    @Test
    void logFormatAndLevelReachTheOperatorAndTheOrigin() {
        var chart = TetherChart.render("logging: {format: json, level: DEBUG}");
        for (PodSpec pod : List.of(operator(chart), origin(chart))) {
            assertThat(pod.getContainers().getFirst().getEnv()).extracting(EnvVar::getName, EnvVar::getValue)
                    .contains(org.assertj.core.groups.Tuple.tuple("TETHER_LOG_FORMAT", "json"),
                            org.assertj.core.groups.Tuple.tuple("TETHER_LOG_LEVEL", "DEBUG"));
        }
        assertThat(operator(TetherChart.render()).getContainers().getFirst().getEnv())
                .anySatisfy(e -> assertThat(e.getName() + "=" + e.getValue()).isEqualTo("TETHER_LOG_FORMAT=text"));
    }

    @Test
    void priorityClassesAreSetWhenGiven() {
        assertThat(operator(TetherChart.render()).getPriorityClassName()).isNull();
        var chart = TetherChart.render("""
                operator: {priorityClassName: tether-critical}
                origin: {priorityClassName: tether-high}
                """);
        assertThat(operator(chart).getPriorityClassName()).isEqualTo("tether-critical");
        assertThat(origin(chart).getPriorityClassName()).isEqualTo("tether-high");
    }

    @Test
    void disruptionBudgetsSelectTheirPodsWhenEnabled() {
        assertThat(TetherChart.render().all(PodDisruptionBudget.class)).isEmpty();
        var chart = TetherChart.render("""
                operator: {podDisruptionBudget: {enabled: true}}
                origin: {podDisruptionBudget: {enabled: true, maxUnavailable: 1}}
                """);
        var budgets = chart.all(PodDisruptionBudget.class);
        assertThat(budgets).extracting(b -> b.getMetadata().getName()).containsExactlyInAnyOrder("tether-operator", "tether-origin");
        var operatorBudget = budgets.stream().filter(b -> b.getMetadata().getName().equals("tether-operator")).findFirst().orElseThrow();
        assertThat(operatorBudget.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
        assertThat(operatorBudget.getSpec().getSelector().getMatchLabels())
                .isEqualTo(chart.all(Deployment.class).getFirst().getSpec().getSelector().getMatchLabels());
        var originBudget = budgets.stream().filter(b -> b.getMetadata().getName().equals("tether-origin")).findFirst().orElseThrow();
        assertThat(originBudget.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(originBudget.getSpec().getSelector().getMatchLabels())
                .isEqualTo(chart.all(StatefulSet.class).getFirst().getSpec().getSelector().getMatchLabels());
    }

    @Test
    void rbacAndWordsMatchWhatTheOperatorDoes() throws Exception {
        String helpers = java.nio.file.Files.readString(TetherChart.DIRECTORY.resolve("templates/_helpers.tpl"));
        assertThat(helpers).as("the operator reads no pod logs").doesNotContain("\"pods/log\"")
                .contains("ttlSecondsAfterFinished");
    }

    private static PodSpec operator(RenderedChart chart) {
        return chart.all(Deployment.class).getFirst().getSpec().getTemplate().getSpec();
    }

    private static PodSpec origin(RenderedChart chart) {
        return chart.all(StatefulSet.class).getFirst().getSpec().getTemplate().getSpec();
    }
}
