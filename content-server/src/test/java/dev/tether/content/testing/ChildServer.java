package dev.tether.content.testing;

import dev.tether.content.edge.EdgeServer;
import dev.tether.content.http.HttpSettings;
import dev.tether.content.origin.OriginServer;
import dev.tether.content.store.BearerToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An origin or an edge in a child JVM, so a test can kill it with SIGKILL (no shutdown hook, no
 * flush, no close) and start another on the same directory, or give it a heap of its own. With a
 * crash point, a child origin stops at that step of an upload and says so on its standard output
 * (see {@code CrashPoint}).
 */
public final class ChildServer implements AutoCloseable {
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final int port;

    private ChildServer(List<String> wrapper, List<String> jvmOptions, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(wrapper);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(args);
        process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = in.readLine(); l != null; l = in.readLine()) {
                    lines.add(l);
                }
            } catch (IOException ended) {
                // the child was killed
            }
        }, "child-origin-out");
        reader.setDaemon(true);
        reader.start();
        String listening = awaitLine("LISTENING ");
        port = Integer.parseInt(listening.substring("LISTENING ".length()));
    }

    private static final List<String> SMALL_JVM = List.of("-Xmx128m", "-XX:TieredStopAtLevel=1");

    public static ChildServer origin(Path store) throws IOException, InterruptedException {
        return new ChildServer(List.of(), SMALL_JVM, List.of("origin", store.toString()));
    }

    /** An origin run under {@code wrapper} (a tracer, say), which must run the rest of the command line. */
    public static ChildServer originWrappedIn(Path store, List<String> wrapper) throws IOException, InterruptedException {
        return new ChildServer(wrapper, SMALL_JVM, List.of("origin", store.toString()));
    }

    /** An origin that stops dead when an upload reaches {@code step}. */
    public static ChildServer originCrashingAt(Path store, String step) throws IOException, InterruptedException {
        List<String> options = new ArrayList<>(SMALL_JVM);
        options.add("-Dtether.test.crashAt=" + step);
        return new ChildServer(List.of(), options, List.of("origin", store.toString()));
    }

    /** An edge with a heap of {@code heapMiB}, filling from {@code originUrl}, taking prefetches with the test token. */
    public static ChildServer edge(Path cache, String originUrl, int heapMiB) throws IOException, InterruptedException {
        return new ChildServer(List.of(), List.of("-Xmx" + heapMiB + "m"), List.of("edge", cache.toString(), originUrl));
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    /** Waits for the child to print a line that starts with {@code prefix}; fails if it exits first. */
    public String awaitLine(String prefix) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String l = lines.poll(100, TimeUnit.MILLISECONDS);
            if (l != null && l.startsWith(prefix)) {
                return l;
            }
            if (l == null && !process.isAlive() && lines.isEmpty()) {
                throw new IOException("the child server exited (" + process.exitValue() + ") before printing " + prefix);
            }
        }
        throw new IOException("the child server printed no " + prefix + " within 60 s");
    }

    /** SIGKILL, as a crash or the OOM killer would. */
    public void kill() throws InterruptedException {
        // The JVM itself, also when it runs under a wrapper.
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }

    /**
     * The child's entry point. Its servers keep the production timeouts rather than the tests' short
     * ones: a pooled connection the test's client reuses after a pause is then not already closed.
     */
    public static final class Main {
        public static void main(String[] args) throws Exception {
            HttpSettings http = HttpSettings.defaults().withMaxUploadBytes(64L << 20);
            if ("edge".equals(args[0])) {
                EdgeServer edge = EdgeServer.start(new EdgeServer.Config(Path.of(args[1]), 1L << 30, args[2], List.of(),
                        TestServers.loopback(), null, null, null, Duration.ofSeconds(1), null, http, TestServers.fastFill(),
                        Duration.ofMinutes(1), 2, BearerToken.of(TestServers.PREFETCH_TOKEN), InstantSource.system(), false));
                System.out.println("LISTENING " + edge.port());
                System.out.flush();
                edge.runtime().awaitShutdown();
            } else {
                OriginServer origin = OriginServer.start(new OriginServer.Config(Path.of(args[1]), BearerToken.of(TestServers.TOKEN),
                        TestServers.loopback(), null, http, 2));
                System.out.println("LISTENING " + origin.port());
                System.out.flush();
                origin.runtime().awaitShutdown();
            }
        }
    }
}
