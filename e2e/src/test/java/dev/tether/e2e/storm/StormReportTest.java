package dev.tether.e2e.storm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class StormReportTest {
    private static StormRun run(String system, int nodes, long p50, long p99) {
        return new StormRun(system, nodes, system.equals(StormRun.TETHER) ? 0 : 2, 40.5, new Percentiles(nodes, p50, p99, p99, p99 + 1),
                system.equals(StormRun.TETHER) ? Map.of("boot-config", new Percentiles(nodes, 12, 80, 90, 95)) : Map.of(), 140L << 20, 30_000, 24_000, 300L << 20,
                system.equals(StormRun.TETHER) ? 600L << 20 : -1, system.equals(StormRun.TETHER) ? List.of(300L << 20) : List.of(),
                List.of(4000L << 20), List.of(new StormRun.ServerCost("edge 0", 5.5, 283L << 20, "512m")), 988, 0.95, 2,
                "1gbit per server link", 100, 3, 0, system.equals(StormRun.TETHER) ? 400 : -1, new Percentiles(10, 2, 30, 40, 90), system.equals(StormRun.TETHER) ? List.of() : List.of("node-0001: IOException closed"),
                null);
    }

    @Test
    void theTablePutsBothSystemsSideBySideWithTheRatio() {
        String table = StormTable.render(run(StormRun.TETHER, 50, 30_000, 40_000), run(StormRun.BASELINE, 50, 60_000, 120_000));
        assertThat(table).contains("N = 50 nodes");
        assertThat(table).containsPattern("time to root p50 \\(s\\) +30\\.0 +60\\.0 +2\\.00x");
        assertThat(table).containsPattern("time to root p99 \\(s\\) +40\\.0 +120\\.0 +3\\.00x");
        assertThat(table).containsPattern("failed boots +0 +2");
        assertThat(table).containsPattern("boot-config p50/p99 \\(ms\\) +12 / 90 +-");
        assertThat(table).contains("origin sent (MiB)                      600.0 = 2.00x artifacts");
        assertThat(table).contains("headline: at N = 50 the baseline's p50 time to root is 2.00x and its p99 3.00x Tether's");
        assertThat(table).contains("failed (baseline): node-0001: IOException closed");
        assertThat(table).containsPattern("scheduling lag p50/p99 \\(ms\\) +2 / 40 +2 / 40");
    }

    @Test
    void aTetherOnlyRunPrintsTheNodeApisOwnFiguresAndNoHeadline() {
        long[] bounds = {1, 5, 1000};
        var stats = new NodeApiStats(Map.of("boot-config", new NodeApiStats.Endpoint(50, 0.015, bounds, new long[] {25, 50, 50},
                new long[] {49, 50, 50})), Map.of("PUT nodecredentials/status", 100L), Map.of(NodeApiStats.HANDLERS, 0.5));
        StormRun tether = run(StormRun.TETHER, 50, 30_000, 40_000);
        tether = new StormRun(tether.system(), tether.nodes(), tether.failed(), tether.wallSeconds(), tether.timeToRoot(),
                tether.endpoints(), tether.bytesPerNode(), tether.boundMillis(), tether.pauseFloorMillis(), tether.artifactBytes(),
                tether.originBytes(), tether.filledPerEdge(), tether.servedPerEdge(), tether.servers(), tether.nodeCpuMillis(),
                tether.machineBusy(), tether.cores(), tether.link(), tether.readerRequests(), tether.hedges(), tether.edgeFailures(),
                tether.apiServerRequests(), tether.schedulingLag(), tether.failures(), stats);

        String table = StormTable.render(tether, null);

        assertThat(table).containsPattern("server boot-config queued p50/p99 \\(ms\\) +1 / 5");
        assertThat(table).containsPattern("server boot-config handled p50/p99 \\(ms\\) +1 / 5, CPU 0\\.3 ms");
        assertThat(table).containsPattern("API PUT nodecredentials/status per boot +2\\.00");
        assertThat(table).containsPattern("operator CPU per boot \\(ms\\): node API handler threads +10\\.0");
        assertThat(table).doesNotContain("headline");
    }

    @Test
    void runsSurviveTheResultsFile(@TempDir Path dir) throws Exception {
        Path results = dir.resolve("runs.jsonl");
        StormRun tether = run(StormRun.TETHER, 50, 30_000, 40_000);
        tether.appendTo(results);
        run(StormRun.BASELINE, 50, 60_000, 120_000).appendTo(results);
        assertThat(StormRun.readAll(results)).hasSize(2).first().isEqualTo(tether);
        assertThat(StormRun.readAll(dir.resolve("none.jsonl"))).isEmpty();
    }

    @Test
    void thePlotIsSvgWithAPointPerRunAndTheLastRunAtAnNCounts() throws Exception {
        List<StormRun> runs = List.of(run(StormRun.TETHER, 50, 30_000, 40_000), run(StormRun.BASELINE, 50, 60_000, 120_000),
                run(StormRun.TETHER, 100, 31_000, 45_000), run(StormRun.TETHER, 100, 32_000, 46_000));
        String svg = ScalePlot.svg(runs, "storm <test>");
        var document = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(Files.newInputStream(Files.writeString(Files.createTempFile("plot", ".svg"), svg)));
        NodeList circles = document.getElementsByTagName("circle");
        // Tether p50 and p99 at 50 and 100, the baseline's at 50: the first run at N=100 is replaced by the second.
        assertThat(circles.getLength()).isEqualTo(6);
        NodeList texts = document.getElementsByTagName("text");
        assertThat(((Element) texts.item(0)).getTextContent()).isEqualTo("storm <test>");
        assertThat(ScalePlot.niceCeiling(120)).isEqualTo(200);
        assertThat(ScalePlot.niceCeiling(40)).isEqualTo(50);
    }

    @Test
    void linkRatesAreReadAsTcSpellsThem() {
        assertThat(StormBench.linkBytesPerSecond("1gbit")).isEqualTo(125e6);
        assertThat(StormBench.linkBytesPerSecond("500mbit")).isEqualTo(62.5e6);
        assertThat(StormBench.linkBytesPerSecond("none")).isInfinite();
    }
}
