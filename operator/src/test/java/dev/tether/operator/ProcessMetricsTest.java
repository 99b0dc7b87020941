package dev.tether.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The operator exports its JVM and names its version, as the origin and edges do. */
class ProcessMetricsTest {

    @Test
    void jvmMetricsAndBuildInfo() {
        var registry = new SimpleMeterRegistry();
        TetherOperator.bindProcessMetrics(registry);
        assertThat(registry.find("jvm.memory.used").gauges()).isNotEmpty();
        assertThat(registry.find("jvm.threads.live").gauge()).isNotNull();
        assertThat(registry.get("tether.build.info").tags("component", "operator").gauge().value()).isEqualTo(1.0);
    }
}
