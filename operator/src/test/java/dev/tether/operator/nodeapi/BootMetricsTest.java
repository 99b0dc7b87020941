package dev.tether.operator.nodeapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.NodeCredentialStatus;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A node's timeline in the metrics is its last boot: phases in the agent's order, replaced whole at the next boot. */
class BootMetricsTest {

    @Test
    void aNodesTimelineIsItsLastBootInOrder() {
        var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        var metrics = new BootMetrics(registry);

        metrics.record("hpc", "cn001", "compute", "tethered", boot(Map.of("apikey", 7000L), "image", 2500L, "ssh", 900L));
        metrics.record("hpc", "cn001", "compute", "untethered", boot(Map.of("apikey", 300L), "ramdisk", 1200L, "image", 9000L));

        String scrape = registry.scrape();
        assertThat(scrape)
                .contains("tether_node_boot_phase_seconds{namespace=\"hpc\",node=\"cn001\",order=\"00\",phase=\"apikey\",profile=\"compute\"} 0.3")
                .contains("tether_node_boot_phase_seconds{namespace=\"hpc\",node=\"cn001\",order=\"01\",phase=\"ramdisk\",profile=\"compute\"} 1.2")
                .contains("tether_node_boot_phase_seconds{namespace=\"hpc\",node=\"cn001\",order=\"02\",phase=\"image\",profile=\"compute\"} 9.0")
                .as("the first boot's ssh phase is gone with it").doesNotContainPattern("tether_node_boot_phase_seconds\\{[^}]*phase=\"ssh\"");
    }

    private static NodeCredentialStatus.LastBoot boot(Map<String, Long> first, String second, long secondMillis, String third,
            long thirdMillis) {
        var boot = new NodeCredentialStatus.LastBoot();
        boot.phaseMillis = new LinkedHashMap<>(first);
        boot.phaseMillis.put(second, secondMillis);
        boot.phaseMillis.put(third, thirdMillis);
        return boot;
    }
}
