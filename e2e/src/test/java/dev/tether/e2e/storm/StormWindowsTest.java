package dev.tether.e2e.storm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StormWindowsTest {
    private static final long SECOND = 1_000_000_000L;
    private static final List<String> BOTH = List.of("1:10", "1:11");

    /** As tc (iproute2 6.1) prints two shaped links and the default class, shortened. */
    private static String tc(long first, long second) {
        return """
                class htb 1:ffff root prio 0 rate 100Gbit ceil 100Gbit burst 0b cburst 0b
                 Sent 999999 bytes 10 pkt (dropped 0, overlimits 0 requeues 0)
                 backlog 0b 0p requeues 0
                class htb 1:10 root leaf 8005: prio 0 rate 1Gbit ceil 1Gbit burst 1375b cburst 1375b
                 Sent %d bytes 0 pkt (dropped 0, overlimits 0 requeues 0)
                 backlog 0b 0p requeues 0
                class htb 1:11 root leaf 8006: prio 0 rate 500Mbit ceil 500Mbit burst 1375b cburst 1375b
                 Sent %d bytes 0 pkt (dropped 0, overlimits 0 requeues 0)
                """.formatted(first, second);
    }

    private static StormWindows.Sample sample(long nanos, long first, long second, long busyTicks, long allTicks) {
        return new StormWindows.Sample(nanos, StormWindows.parse(tc(first, second)), busyTicks, allTicks, Map.of());
    }

    @Test
    void readsEachShapedLinksBytesAndRateButNotTheDefaultClass() {
        var links = StormWindows.parse(tc(1234, 5678));
        assertThat(links).containsExactly(Map.entry("1:10", new StormWindows.Counter(1234, 1_000_000_000L)),
                Map.entry("1:11", new StormWindows.Counter(5678, 500_000_000L)));
    }

    @Test
    void eachWindowIsTheBytesSentAgainstWhatTheRateAllowsAndTheCpusBusyShare() {
        // 10 s windows: 1 Gbit/s allows 1.25e9 bytes, 500 Mbit/s 6.25e8; 2 CPUs at 100 ticks a second, 2000 ticks.
        var storm = StormWindows.of(10_000, 2, BOTH, List.of(sample(0, 0, 0, 0, 0),
                sample(10 * SECOND, 1_250_000_000L, 312_500_000L, 1900, 2000),
                sample(20 * SECOND, 1_250_000_000L, 312_500_000L, 2400, 4000)));
        assertThat(storm.windows()).hasSize(2);
        assertThat(storm.windows().get(0).links()[0]).isCloseTo(1.0, within(1e-9));
        assertThat(storm.windows().get(0).links()[1]).isCloseTo(0.5, within(1e-9));
        assertThat(storm.windows().get(1).links()).containsExactly(0.0, 0.0);
        assertThat(storm.describe()).containsExactly("10 s windows, links % of their rate: 75 0",
                "10 s windows, CPUs % busy: 95 25");
    }

    @Test
    void aLateSampleIsJudgedByTheTimeThatReallyPassed() {
        // The sampler woke 2.5 s late: 12.5 s at 1 Gbit/s fully used is 1.5625e9 bytes.
        var storm = StormWindows.of(10_000, 2, BOTH, List.of(sample(0, 0, 0, 0, 0), sample(12_500_000_000L, 1_562_500_000L, 0, 0, 1)));
        assertThat(storm.windows().get(0).links()[0]).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void onlyTheStormsOwnLinksCount() {
        // The second link (the baseline's, in a Tether storm) sent a few packets: it is not this storm's.
        var storm = StormWindows.of(10_000, 2, List.of("1:10"), List.of(sample(0, 0, 0, 0, 0),
                sample(10 * SECOND, 625_000_000L, 518, 10, 20)));
        assertThat(storm.windows().get(0).links()).containsExactly(0.5);
        assertThat(storm.describe()).containsExactly("10 s windows, links % of their rate: 50",
                "10 s windows, CPUs % busy: 50");
    }

    @Test
    void eachPartsCpuIsItsShareOfAllTheMachinesCpus() {
        // 10 s on 2 CPUs is 20 CPU-seconds: the nodes used 5 of them, the edges 15.
        var storm = StormWindows.of(10_000, 2, BOTH, List.of(
                new StormWindows.Sample(0, Map.of(), 0, 0, Map.of("nodes", 1_000_000_000L, "edges", 0L)),
                new StormWindows.Sample(10 * SECOND, Map.of(), 2000, 2000, Map.of("nodes", 6_000_000_000L,
                        "edges", 15_000_000_000L))));
        assertThat(storm.windows().get(0).parts()).containsEntry("nodes", 0.25).containsEntry("edges", 0.75);
        assertThat(storm.describe()).contains("  of which nodes: 25", "  of which edges: 75");
    }

    @Test
    void withNoShapingThereIsNothingToReport() {
        assertThat(StormWindows.parse("")).isEmpty();
        assertThat(StormWindows.of(10_000, 2, List.of(), List.of(new StormWindows.Sample(0, Map.of(), 0, 0, Map.of())))
                .describe())
                .containsExactly("no window sampled");
    }
}
