package dev.tether.e2e.storm;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The storm's figures for one N, Tether and the baseline side by side, as the benchmark prints them. */
public final class StormTable {
    private static final double MIB = 1 << 20;

    private StormTable() {}

    /**
     * {@code StormTable <results.jsonl> [plot.svg]}: the tables again from a results file, the last run of each system
     * at each N side by side (a Tether run made after a change next to the baseline's earlier run at that N), and the
     * plot; so the figures in docs/scale.md are the benchmark's own output.
     */
    public static void main(String[] args) throws java.io.IOException {
        List<StormRun> latest = ScalePlot.latestPerSystemAndN(StormRun.readAll(java.nio.file.Path.of(args[0])));
        new java.util.TreeSet<>(latest.stream().map(StormRun::nodes).toList()).forEach(n -> {
            var tether = latest.stream().filter(r -> r.nodes() == n && r.system().equals(StormRun.TETHER)).findFirst();
            var baseline = latest.stream().filter(r -> r.nodes() == n && r.system().equals(StormRun.BASELINE)).findFirst();
            if (tether.isPresent() && baseline.isPresent()) {
                System.out.println(render(tether.get(), baseline.get()));
            }
        });
        if (args.length > 1) {
            java.nio.file.Files.writeString(java.nio.file.Path.of(args[1]), ScalePlot.svg(latest, args.length > 2 ? args[2]
                    : "Boot storm: time to root against N"));
        }
    }

    /** @param baseline the baseline's run at the same N, or null when the storm ran Tether only (its column then empty) */
    public static String render(StormRun tether, StormRun baseline) {
        boolean alone = baseline == null;
        if (alone) {
            baseline = new StormRun(StormRun.BASELINE, tether.nodes(), 0, 0, Percentiles.NONE, Map.of(), 0, 0, 0, 0, -1, List.of(),
                    List.of(), List.of(), 0, 0, tether.cores(), tether.link(), 0, 0, 0, -1, Percentiles.NONE, List.of(), null);
        }
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "=== boot storm: N = %d nodes, %s ===", tether.nodes(), tether.link()));
        lines.add(row("", "tether (3 edges)", "baseline (1 server)", "baseline/tether"));
        Percentiles t = tether.timeToRoot();
        Percentiles b = baseline.timeToRoot();
        lines.add(row("time to root p50 (s)", secs(t.p50()), secs(b.p50()), ratio(b.p50(), t.p50())));
        lines.add(row("time to root p95 (s)", secs(t.p95()), secs(b.p95()), ratio(b.p95(), t.p95())));
        lines.add(row("time to root p99 (s)", secs(t.p99()), secs(b.p99()), ratio(b.p99(), t.p99())));
        lines.add(row("time to root max (s)", secs(t.max()), secs(b.max()), ratio(b.max(), t.max())));
        lines.add(row("failed boots", Integer.toString(tether.failed()), Integer.toString(baseline.failed()), ""));
        lines.add(row("bandwidth bound (s)", secs(tether.boundMillis()), secs(baseline.boundMillis()), ""));
        lines.add(row("p99 / bound", ratio(t.p99(), tether.boundMillis()), ratio(b.p99(), baseline.boundMillis()), ""));
        lines.add(row("trace pauses alone (s)", secs(tether.pauseFloorMillis()), secs(baseline.pauseFloorMillis()), ""));
        lines.add(row("MiB received per node", mib(tether.bytesPerNode()), mib(baseline.bytesPerNode()), ""));
        lines.add(row("storm wall time (s)", fmt(tether.wallSeconds()), fmt(baseline.wallSeconds()), ""));
        Map<String, Percentiles> endpoints = new TreeMap<>(tether.endpoints());
        baseline.endpoints().forEach(endpoints::putIfAbsent);
        for (String endpoint : endpoints.keySet()) {
            lines.add(row(endpoint + " p50/p99 (ms)", latency(tether.endpoints().get(endpoint)),
                    latency(baseline.endpoints().get(endpoint)), ""));
        }
        lines.add(row("reader requests / hedges / failed", tether.readerRequests() + " / " + tether.hedges() + " / " + tether.edgeFailures(),
                baseline.readerRequests() > 0 ? Long.toString(baseline.readerRequests()) : "-", ""));
        if (tether.apiServerRequests() >= 0) {
            lines.add(row("Kubernetes API requests (per node)", tether.apiServerRequests() + String.format(Locale.ROOT, " (%.1f)",
                    tether.apiServerRequests() / (double) Math.max(1, tether.nodes())), "-", ""));
        }
        if (tether.originBytes() >= 0) {
            lines.add(row("origin sent (MiB)", mib(tether.originBytes()) + String.format(Locale.ROOT, " = %.2fx artifacts",
                    tether.originBytes() / (double) tether.artifactBytes()), "-", ""));
        }
        for (int i = 0; i < tether.filledPerEdge().size(); i++) {
            lines.add(row("edge " + i + " filled (MiB)", mib(tether.filledPerEdge().get(i)) + String.format(Locale.ROOT,
                    " = %.2fx", tether.filledPerEdge().get(i) / (double) tether.artifactBytes()), "", ""));
        }
        int servers = Math.max(tether.servedPerEdge().size(), baseline.servedPerEdge().size());
        for (int i = 0; i < servers; i++) {
            lines.add(row("server " + i + " sent per node (MiB)", perNode(tether, i), perNode(baseline, i), ""));
        }
        for (StormRun run : List.of(tether, baseline)) {
            for (StormRun.ServerCost cost : run.servers()) {
                lines.add(row(cost.name() + " CPU s / peak RSS MiB", run == tether ? cost(cost) : "",
                        run == baseline ? cost(cost) : "", ""));
            }
        }
        lines.add(row("node CPU per simulated node (ms)", fmt(tether.nodeCpuMillis()), fmt(baseline.nodeCpuMillis()), ""));
        lines.add(row("nodes' JVM scheduling lag p50/p99 (ms)", latency(tether.schedulingLag()), latency(baseline.schedulingLag()), ""));
        if (tether.nodeApi() != null) {
            nodeApiRows(tether, lines);
        }
        lines.add(row("machine CPU busy (anyone's)", percent(tether.machineBusy()), percent(baseline.machineBusy()), ""));
        lines.add(row("  of which this storm's processes", percent(tether.ownCpuShare()), percent(baseline.ownCpuShare()), ""));
        if (!alone) {
            lines.add(String.format(Locale.ROOT, "headline: at N = %d the baseline's p50 time to root is %s and its p99 %s Tether's",
                    tether.nodes(), times(b.p50(), t.p50()), times(b.p99(), t.p99())));
        }
        for (StormRun run : List.of(tether, baseline)) {
            run.failures().forEach(f -> lines.add("  failed (" + run.system() + "): " + f));
        }
        return String.join("\n", lines) + "\n";
    }

    /**
     * The node API as its own server saw it: per endpoint the wait for a handler thread and the handler's time (upper
     * bounds of the operator's histogram buckets, p50 / p99) and the handler's CPU per request; the Kubernetes API
     * requests per boot by kind; the operator JVM's CPU per boot by thread group.
     */
    private static void nodeApiRows(StormRun tether, List<String> lines) {
        NodeApiStats stats = tether.nodeApi();
        double n = Math.max(1, tether.nodes());
        stats.endpoints().forEach((name, e) -> {
            if (name.equals(NodeApiStats.TLS_HANDSHAKE)) {
                lines.add(row("server " + name + " p50/p99 (ms)", e.handledPercentile(50) + " / " + bucket(e.handledPercentile(99)), "", ""));
                return;
            }
            lines.add(row("server " + name + " queued p50/p99 (ms)", e.queuedPercentile(50) + " / " + bucket(e.queuedPercentile(99)), "", ""));
            lines.add(row("server " + name + " handled p50/p99 (ms)", e.handledPercentile(50) + " / " + bucket(e.handledPercentile(99))
                    + String.format(Locale.ROOT, ", CPU %.1f ms", e.cpuSeconds() * 1000 / Math.max(1, e.count())), "", ""));
        });
        stats.apiRequests().forEach((kind, count) ->
                lines.add(row("  API " + kind + " per boot", String.format(Locale.ROOT, "%.2f", count / n), "", "")));
        stats.cpuSeconds().forEach((group, seconds) ->
                lines.add(row("  operator CPU per boot (ms): " + group, String.format(Locale.ROOT, "%.1f", seconds * 1000 / n), "", "")));
    }

    private static String bucket(long millis) {
        return millis == Long.MAX_VALUE ? ">60000" : Long.toString(millis);
    }

    private static String row(String label, String tether, String baseline, String ratio) {
        return String.format(Locale.ROOT, "%-38s %-26s %-26s %s", label, tether, baseline, ratio).stripTrailing();
    }

    private static String perNode(StormRun run, int i) {
        return i < run.servedPerEdge().size() && run.nodes() > 0 ? mib(run.servedPerEdge().get(i) / run.nodes()) : "";
    }

    private static String cost(StormRun.ServerCost cost) {
        return String.format(Locale.ROOT, "%.1f / %d (-Xmx%s)", cost.cpuSeconds(), Math.round(cost.peakRssBytes() / MIB), cost.heapLimit());
    }

    private static String latency(Percentiles p) {
        return p == null || p.count() == 0 ? "-" : p.p50() + " / " + p.p99();
    }

    static String secs(long millis) {
        return String.format(Locale.ROOT, "%.1f", millis / 1000.0);
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / MIB);
    }

    private static String fmt(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.0f%%", 100 * share);
    }

    static String ratio(long numerator, long denominator) {
        return denominator <= 0 ? "-" : String.format(Locale.ROOT, "%.2fx", numerator / (double) denominator);
    }

    private static String times(long baseline, long tether) {
        if (tether <= 0) {
            return "-";
        }
        double r = baseline / (double) tether;
        return r >= 1 ? String.format(Locale.ROOT, "%.2fx", r) : String.format(Locale.ROOT, "%.2fx (Tether slower)", r);
    }
}
