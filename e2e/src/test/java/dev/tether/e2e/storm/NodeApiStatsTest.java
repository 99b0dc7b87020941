package dev.tether.e2e.storm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeApiStatsTest {
    private static final long[] BOUNDS = {1, 10, 100, 1000};

    @Test
    void aWindowsPercentilesComeFromTheDifferenceOfTwoCumulativeHistograms() {
        // Before the storm: 10 requests, all under 1 ms. After: 100 more, 90 under 10 ms, 9 under 100 ms, 1 over 1 s.
        var before = stats(new NodeApiStats.Endpoint(10, 0.01, BOUNDS, new long[] {10, 10, 10, 10}, new long[] {10, 10, 10, 10}));
        var after = stats(new NodeApiStats.Endpoint(110, 0.31, BOUNDS, new long[] {100, 110, 110, 110}, new long[] {10, 100, 109, 109}));

        var storm = after.minus(before).endpoints().get("boot-config");

        assertThat(storm.count()).isEqualTo(100);
        assertThat(storm.cpuSeconds()).isEqualTo(0.3, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(storm.handledPercentile(50)).as("the bucket holding the 50th").isEqualTo(10);
        assertThat(storm.handledPercentile(99)).isEqualTo(100);
        assertThat(storm.handledPercentile(100)).as("above the last bucket").isEqualTo(Long.MAX_VALUE);
        assertThat(storm.queuedPercentile(99)).isEqualTo(10);
    }

    @Test
    void requestsAreKindsOfVerbAndResourceNeverNames() {
        assertThat(NodeApiStats.requestKind("PUT", "/apis/tether.dev/v1alpha1/namespaces/hpc/nodecredentials/node-0001/status"))
                .isEqualTo("PUT nodecredentials/status");
        assertThat(NodeApiStats.requestKind("POST", "/apis/events.k8s.io/v1/namespaces/hpc/events")).isEqualTo("POST events");
        assertThat(NodeApiStats.requestKind("GET", "/api/v1/namespaces/hpc/secrets?labelSelector=x&watch=true"))
                .isEqualTo("GET secrets (watch)");
        assertThat(NodeApiStats.requestKind("GET", "/apis/tether.dev/v1alpha1/nodeprofiles")).isEqualTo("GET nodeprofiles");
    }

    private static NodeApiStats stats(NodeApiStats.Endpoint endpoint) {
        return new NodeApiStats(Map.of("boot-config", endpoint), Map.of(), Map.of());
    }
}
