package dev.tether.content.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What every content server exports besides its own meters: the JVM, and which version runs in which role. */
class ServerMetricsTest {

    @Test
    void exportsJvmMetricsAndBuildInfo() {
        String scraped = new ServerMetrics("edge").scrape();
        assertThat(scraped).contains("jvm_memory_used_bytes{").contains("jvm_threads_live_threads").contains("process_cpu_usage")
                .containsPattern("(?m)^tether_build_info\\{component=\"edge\",java=\"[^\"]+\",version=\"[^\"]+\"\\} 1(\\.0)?$");
    }
}
