package dev.tether.e2e.storm;

import dev.tether.dev.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Where the simulated nodes talk to the node API: platform threads as nice as the servers, in a JVM that run.sh starts
 * {@code storm.nodesNice} nicer so that the nodes' image reading (decryption, verification, 500 readers on two cores)
 * does not take the servers' CPU.
 *
 * <p>A real node makes its node API calls on its own idle CPU. In one niced JVM they waited behind every other node's
 * image reading: at N=500 an image key asked on an established connection took 1.5 s at the node and 2 ms at the
 * server, and the node-side figure measured this machine, not the node API. On these threads a node's calls, and the
 * TLS and HTTP work of its client (the JDK's HttpClient makes its selector and worker threads from the thread that
 * asks, and a Linux thread takes its niceness from the thread that makes it), compete with the servers on equal shares.
 * Linux keeps a niceness per thread, so lowering one thread's needs no other process; lowering it needs root, which
 * the storm has.
 *
 * <p>The JVM's collector gets the servers' share too ({@link #collectorAsNiceAsTheServers()}): it works for all the
 * simulated nodes at once.
 */
final class NodeApiThreads {
    private static final int NODES_NICE = Integer.getInteger("storm.nodesNice", 0);
    /** How the JVM (25) names its collectors' threads (ZGC's, G1's) and the safepoint thread, as Linux shows them. */
    private static final List<String> COLLECTOR_THREADS = List.of("ZWorker", "ZDriver", "ZDirector", "GC Thread", "G1 ",
            "VM Thread");
    private static final ExecutorService THREADS = Executors.newCachedThreadPool(
            Thread.ofPlatform().name("node-api-client-", 0).daemon().factory());
    /** Whether this pool thread has lowered its niceness yet (once, before its first call). */
    private static final ThreadLocal<Boolean> AS_NICE_AS_THE_SERVERS = ThreadLocal.withInitial(() -> false);

    private NodeApiThreads() {
    }

    /**
     * Runs {@code step} on a thread as nice as the servers and waits for it; its exception is thrown as its own, and
     * a thread that cannot lower its niceness fails the call (and so the node's boot) saying why.
     */
    static <T> T call(NodeOutcome.Step<T> step) throws Exception {
        if (NODES_NICE <= 0) {
            return step.run();
        }
        try {
            return THREADS.submit(() -> {
                if (!AS_NICE_AS_THE_SERVERS.get()) {
                    lowerOwnNiceness();
                    AS_NICE_AS_THE_SERVERS.set(true);
                }
                return step.run();
            }).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static void lowerOwnNiceness() {
        try {
            lowerNiceness(Path.of("/proc/thread-self"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot give a node API thread the servers' share of the CPU", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while lowering a node API thread's niceness", e);
        }
    }

    /**
     * Gives the JVM's garbage collector (ZGC's workers and drivers, or G1's, and the VM thread that runs safepoints)
     * the servers' share of the CPU. The nodes' JVM collects for all the simulated nodes at once: at the nodes'
     * niceness its threads waited behind the servers, where a real node's collector runs on that node's CPU. With G1,
     * young pauses of 0.5 to 1.5 s (at N=500, 2026-12-04, its threads reniced or not) stopped every node's boot at
     * once; run.sh has the nodes' JVM use ZGC, which collects beside them. Call it again when the JVM may have started
     * more of those threads.
     */
    static void collectorAsNiceAsTheServers() throws IOException, InterruptedException {
        if (NODES_NICE <= 0) {
            return;
        }
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                String name;
                try {
                    name = Files.readString(task.resolve("comm")).strip();
                } catch (IOException e) {
                    continue; // the thread ended meanwhile
                }
                if (COLLECTOR_THREADS.stream().anyMatch(name::startsWith)) {
                    lowerNiceness(task);
                }
            }
        }
    }

    /**
     * Gives the thread whose /proc directory is {@code task} the servers' niceness: the JVM's own (its main thread's,
     * never changed) less the nodes' extra niceness. Idempotent.
     */
    private static void lowerNiceness(Path task) throws IOException, InterruptedException {
        int servers = niceness(Files.readString(Path.of("/proc/self/stat"))) - NODES_NICE;
        String stat = Files.readString(task.resolve("stat"));
        if (niceness(stat) != servers) {
            // A task's stat starts with the thread's id. util-linux's renice sets the niceness given, not an increment.
            Commands.run("renice", "-n", Integer.toString(servers), "-p", stat.substring(0, stat.indexOf(' ')));
        }
    }

    /** The niceness in a task's stat: its 19th field, counted after the command's parentheses. */
    private static int niceness(String stat) {
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
    }
}
