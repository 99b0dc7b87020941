package dev.tether.content.testing;

import dev.tether.content.origin.OriginServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An origin in a child JVM, so a test can kill it with SIGKILL (no shutdown hook, no flush, no
 * close) and start another on the same store. With a crash point, the child stops at that step of
 * an upload and says so on its standard output (see {@code CrashPoint}).
 */
public final class ChildOrigin implements AutoCloseable {
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final int port;

    private ChildOrigin(Path store, String crashAt, List<String> wrapper) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:TieredStopAtLevel=1"));
        if (crashAt != null) {
            command.add("-Dtether.test.crashAt=" + crashAt);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), store.toString()));
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

    public static ChildOrigin start(Path store) throws IOException, InterruptedException {
        return new ChildOrigin(store, null, List.of());
    }

    /** An origin run under {@code wrapper} (a tracer, say), which must run the rest of the command line. */
    public static ChildOrigin wrappedIn(Path store, List<String> wrapper) throws IOException, InterruptedException {
        return new ChildOrigin(store, null, wrapper);
    }

    /** An origin that stops dead when an upload reaches {@code step}. */
    public static ChildOrigin crashingAt(Path store, String step) throws IOException, InterruptedException {
        return new ChildOrigin(store, step, List.of());
    }

    public int port() {
        return port;
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
                throw new IOException("the child origin exited (" + process.exitValue() + ") before printing " + prefix);
            }
        }
        throw new IOException("the child origin printed no " + prefix + " within 60 s");
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

    /** The child's entry point. */
    public static final class Main {
        public static void main(String[] args) throws Exception {
            OriginServer origin = TestServers.origin(Path.of(args[0]));
            System.out.println("LISTENING " + origin.port());
            System.out.flush();
            origin.runtime().awaitShutdown();
        }
    }
}
