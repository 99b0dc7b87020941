package dev.tether.content.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assumptions;

/**
 * nginx from the distribution, started on a loopback port with its own configuration in a
 * temporary directory (no system service, no files outside that directory). Tests that need it are
 * skipped, saying so, on machines without it.
 */
public final class Nginx implements AutoCloseable {
    private static final List<Path> CANDIDATES = List.of(Path.of("/usr/sbin/nginx"), Path.of("/usr/bin/nginx"),
            Path.of("/usr/local/sbin/nginx"), Path.of("/usr/local/nginx/sbin/nginx"));

    private final Process process;
    private final int port;
    private final Path work;

    private Nginx(Process process, int port, Path work) {
        this.process = process;
        this.port = port;
        this.work = work;
    }

    /** Skips the calling test, loudly, when nginx is not installed. */
    public static Path requireBinary() {
        Path found = CANDIDATES.stream().filter(Files::isExecutable).findFirst().orElse(null);
        if (found == null) {
            String message = "SKIPPED: nginx is not installed (apt-get install nginx-light; it is listed in .ci/apt-packages.txt) "
                    + "- the nginx parity checks did not run";
            System.err.println(message);
            Assumptions.abort(message);
        }
        return found;
    }

    /** Serves {@code root} as nginx's document root. */
    public static Nginx serve(Path root, Path work) throws IOException, InterruptedException {
        Path binary = requireBinary();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.createDirectories(work);
        String conf = """
                daemon off;
                master_process off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 1024; }
                http {
                    access_log off;
                    client_body_temp_path %1$s/body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    default_type application/octet-stream;
                    sendfile on;
                    tcp_nopush on;
                    server {
                        listen 127.0.0.1:%2$d;
                        root %3$s;
                        location / { }
                    }
                }
                """.formatted(work.toAbsolutePath(), port, root.toAbsolutePath());
        Path confFile = work.resolve("nginx.conf");
        Files.writeString(confFile, conf);
        Process p = new ProcessBuilder(binary.toString(), "-e", work.resolve("error.log").toString(), "-p", work.toString(),
                "-c", confFile.toString()).redirectErrorStream(true).redirectOutput(work.resolve("stdout.log").toFile()).start();
        Nginx nginx = new Nginx(p, port, work);
        // Until it listens or exits: an event with no notification, polled, with the patience of a busy machine.
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> !p.isAlive() || accepts(port));
        } catch (ConditionTimeoutException e) {
            nginx.close();
            throw new IOException("nginx did not start listening on " + port + " within 60 s");
        }
        if (!p.isAlive()) {
            throw new IOException("nginx exited at start: " + Files.readString(work.resolve("stdout.log"))
                    + (Files.exists(work.resolve("error.log")) ? Files.readString(work.resolve("error.log")) : ""));
        }
        return nginx;
    }

    private static boolean accepts(int port) {
        try {
            new Socket("127.0.0.1", port).close();
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
