package dev.tether.e2e.storm;

import dev.tether.dev.TetherCluster;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A server of the storm in a process of its own (a {@link StormServer} JVM, or nginx), whose CPU time and peak
 * resident memory are read from {@code /proc} (its child processes included: nginx's workers).
 */
public final class ServerProcess implements AutoCloseable {
    private static final long TICK_NANOS = 10_000_000L;  // USER_HZ is 100 on Linux

    private final String name;
    private final String heapLimit;
    private final Process process;
    private final CompletableFuture<String> ready = new CompletableFuture<>();

    private ServerProcess(String name, String heapLimit, Process process) {
        this.name = name;
        this.heapLimit = heapLimit;
        this.process = process;
    }

    /** A {@link StormServer} JVM with this JVM's class path, waiting for its {@code READY} line. */
    public static ServerProcess jvm(String name, String heap, Path log, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx" + heap, "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                StormServer.class.getName()));
        // The content servers run with the options their launcher gives them in production (bin/content-server):
        // Netty on sun.misc.Unsafe and the NIO selector's fast key set, which from Java 24 on need asking for.
        if (args.length > 0 && (args[0].equals("edge") || args[0].equals("origin"))) {
            command.addAll(command.size() - 3, List.of("--enable-native-access=ALL-UNNAMED", "@" + TetherCluster.repositoryRoot()
                    .resolve("content-server/bin/netty-fast.jvm-options")));
        }
        // More options for the cluster's JVM (e.g. a JFR recording of the operator), before its main class.
        String clusterOptions = System.getenv("STORM_CLUSTER_JAVA_OPTS");
        if (args.length > 0 && args[0].equals("cluster") && clusterOptions != null && !clusterOptions.isBlank()) {
            command.addAll(command.size() - 3, List.of(clusterOptions.strip().split("\\s+")));
        }
        command.addAll(List.of(args));
        ServerProcess server = start(name, heap, command, log, true);
        try {
            server.ready.get(10, TimeUnit.MINUTES);
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            server.close();
            throw new IOException(name + " did not start (see " + log + "): " + e.getMessage());
        }
        return server;
    }

    /** Any server process; {@code heapLimit} only labels its figures. */
    public static ServerProcess start(String name, String heapLimit, List<String> command, Path log, boolean readyLine)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(asNiceAsTheScript(command)).redirectErrorStream(true);
        // run.sh tunes glibc's allocator for the simulated nodes' JVM (StormBench.pretouchDirectMemory); a server keeps
        // the defaults it would have on its own machine.
        builder.environment().keySet().removeIf(variable -> variable.startsWith("MALLOC_"));
        Process process = builder.start();
        ServerProcess server = new ServerProcess(name, heapLimit, process);
        PrintStream out = new PrintStream(Files.newOutputStream(log), true, StandardCharsets.UTF_8);
        Thread.ofPlatform().daemon().name("log-" + name).start(() -> {
            try (var lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    if (line.startsWith("READY ")) {
                        server.ready.complete(line.substring(6));
                    }
                    out.println(line);
                }
            } catch (IOException e) {
                out.println("[storm] reading the output failed: " + e);
            } finally {
                server.ready.completeExceptionally(new IOException(name + " ended before it was ready"));
                out.close();
            }
        });
        if (!readyLine) {
            server.ready.complete("{}");
        }
        return server;
    }

    /**
     * The command, run as nice as the script that started the storm: run.sh starts the simulated nodes' JVM (this one)
     * {@code storm.nodesNice} nicer, so that the nodes, which stand for machines of their own, do not take the servers'
     * CPU. Lowering niceness again needs root, which the storm has (network namespace, tc).
     */
    private static List<String> asNiceAsTheScript(List<String> command) {
        int nodesNice = Integer.getInteger("storm.nodesNice", 0);
        if (nodesNice <= 0) {
            return command;
        }
        List<String> niced = new ArrayList<>(List.of("nice", "-n", Integer.toString(-nodesNice)));
        niced.addAll(command);
        return niced;
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    /** CPU time (user and system) the process and its children have used so far. */
    public long cpuNanos() throws IOException {
        long ticks = 0;
        for (long pid : pids()) {
            Path stat = Path.of("/proc", Long.toString(pid), "stat");
            if (Files.exists(stat)) {
                String text = Files.readString(stat);
                String[] fields = text.substring(text.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            }
        }
        return ticks * TICK_NANOS;
    }

    /** Peak resident memory since the last {@link #resetPeak()}, summed over the process and its children. */
    public long peakRssBytes() throws IOException {
        long kib = 0;
        for (long pid : pids()) {
            Path status = Path.of("/proc", Long.toString(pid), "status");
            if (Files.exists(status)) {
                for (String line : Files.readAllLines(status)) {
                    if (line.startsWith("VmHWM:")) {
                        kib += Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            }
        }
        return kib << 10;
    }

    /** Starts the peak resident memory afresh (writing 5 to {@code clear_refs}). */
    public void resetPeak() throws IOException {
        for (long pid : pids()) {
            Path clear = Path.of("/proc", Long.toString(pid), "clear_refs");
            if (Files.exists(clear)) {
                Files.writeString(clear, "5");
            }
        }
    }

    public StormRun.ServerCost cost(long cpuBefore) throws IOException {
        return new StormRun.ServerCost(name, (cpuNanos() - cpuBefore) / 1e9, peakRssBytes(), heapLimit);
    }

    private List<Long> pids() {
        return Stream.concat(Stream.of(process.toHandle()), process.descendants()).map(ProcessHandle::pid).toList();
    }

    @Override
    public void close() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // Already gone.
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
