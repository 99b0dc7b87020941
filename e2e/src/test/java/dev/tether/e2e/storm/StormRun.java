package dev.tether.e2e.storm;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What one storm of {@code nodes} simulated nodes measured, for one system: Tether (three edges, the agent's reader)
 * or the baseline (one server, one request at a time). Kept one JSON line per run in the storm's results file, from
 * which the table and the plot are written.
 *
 * @param system           {@link #TETHER} or {@link #BASELINE}
 * @param timeToRoot       power-on to the last root read of the trace answered, per booted node (ms)
 * @param endpoints        latency of each request kind (the iPXE script, the node API's endpoints…), ms
 * @param bytesPerNode     response bytes a node received, mean
 * @param boundMillis      the bandwidth bound: the longer of all bytes the nodes received over the serving links'
 *                         total rate, and every node's kernel and initramfs over that rate plus the trace's pauses
 * @param artifactBytes    kernel + initramfs + root image as published (what a cold edge may fetch once)
 * @param originBytes      bytes the origin sent during the storm (-1: no origin, the baseline)
 * @param filledPerEdge    bytes each edge fetched from the origin or a peer during the storm
 * @param servedPerEdge    bytes each serving process sent (edges; nginx for the baseline)
 * @param servers          CPU and peak memory of each server process during the storm
 * @param nodeCpuMillis    CPU the simulated nodes' JVM used, per node
 * @param machineBusy      share of this machine's CPUs busy during the storm, anyone's (1.0: all cores saturated)
 * @param cores            this machine's cores
 * @param readerRequests   the root image readers' range requests, all nodes, hedges included
 * @param hedges           of those, hedges (a second request because the first was slow)
 * @param edgeFailures     of those, requests that failed
 * @param apiServerRequests requests the Kubernetes API server answered during the storm (-1: none, the baseline)
 * @param schedulingLag    how late a 50 ms sleep woke in the nodes' JVM during the storm (ms): part of every latency
 *                         the simulated nodes measure, which a real node with a CPU of its own would not see
 * @param failures         the first few failed boots' errors
 * @param nodeApi          the node API's server-side figures over the storm (null: the baseline, or a run from before
 *                         they were kept)
 */
public record StormRun(String system, int nodes, int failed, double wallSeconds, Percentiles timeToRoot,
        Map<String, Percentiles> endpoints, long bytesPerNode, long boundMillis, long pauseFloorMillis,
        long artifactBytes, long originBytes, List<Long> filledPerEdge, List<Long> servedPerEdge,
        List<ServerCost> servers, double nodeCpuMillis, double machineBusy, int cores, String link, long readerRequests, long hedges, long edgeFailures, long apiServerRequests, Percentiles schedulingLag, List<String> failures,
        NodeApiStats nodeApi) {

    public static final String TETHER = "tether";
    public static final String BASELINE = "baseline";
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    public StormRun {
        endpoints = Map.copyOf(endpoints);
        filledPerEdge = List.copyOf(filledPerEdge);
        servedPerEdge = List.copyOf(servedPerEdge);
        servers = List.copyOf(servers);
        failures = List.copyOf(failures);
    }

    /** One server process: CPU it used during the storm and its peak resident memory (heap and all). */
    public record ServerCost(String name, double cpuSeconds, long peakRssBytes, String heapLimit) {
    }

    /** The share of the machine's CPU time this storm's own processes (servers and simulated nodes) used. */
    public double ownCpuShare() {
        double cpu = servers.stream().mapToDouble(ServerCost::cpuSeconds).sum() + nodeCpuMillis * nodes / 1000;
        return wallSeconds <= 0 || cores <= 0 ? 0 : cpu / (wallSeconds * cores);
    }

    public String toJson() throws IOException {
        return JSON.writeValueAsString(this);
    }

    public static StormRun parse(String json) throws IOException {
        return JSON.readValue(json, StormRun.class);
    }

    public void appendTo(Path results) throws IOException {
        Files.writeString(results, toJson() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    public static List<StormRun> readAll(Path results) throws IOException {
        List<StormRun> runs = new ArrayList<>();
        if (Files.exists(results)) {
            for (String line : Files.readAllLines(results, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    runs.add(parse(line));
                }
            }
        }
        return runs;
    }
}
