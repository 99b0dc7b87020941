package dev.tether.agent.image;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A tiny HTTP server that serves one blob by range, correctly or in one of the ways an edge can go wrong. */
final class FakeEdge implements AutoCloseable {
    /** SLOW: stalls for 30 s, far longer than any test waits for it. */
    enum Behaviour { GOOD, WHOLE_BLOB, WRONG_RANGE, SHORT_BODY, DAMAGED, SLOW }

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");

    private final HttpServer server;
    private final byte[] blob;
    private final Behaviour behaviour;
    final AtomicInteger requests = new AtomicInteger();
    /** How long every answer waits before its first byte: an edge under load, or far away. */
    private volatile long latencyMillis;

    FakeEdge(byte[] blob, Behaviour behaviour, int port) throws IOException {
        this.blob = blob;
        this.behaviour = behaviour;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 50);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/blobs/sha256/", this::serve);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Every answer from now on waits this long before its first byte. */
    void latency(long millis) {
        latencyMillis = millis;
    }

    private void serve(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        sleep(latencyMillis);
        try (exchange) {
            Matcher m = RANGE.matcher(exchange.getRequestHeaders().getFirst("Range"));
            if (!m.matches()) {
                exchange.sendResponseHeaders(400, -1);
                return;
            }
            int first = Integer.parseInt(m.group(1));
            int last = Math.min(blob.length - 1, Integer.parseInt(m.group(2)));
            int length = last - first + 1;
            byte[] body = java.util.Arrays.copyOfRange(blob, first, last + 1);
            String contentRange = "bytes " + first + "-" + last + "/" + blob.length;
            switch (behaviour) {
                case WHOLE_BLOB -> {
                    exchange.sendResponseHeaders(200, blob.length);
                    exchange.getResponseBody().write(blob);
                    return;
                }
                case WRONG_RANGE -> contentRange = "bytes " + (first + 1) + "-" + (last + 1) + "/" + blob.length;
                case DAMAGED -> body[body.length / 2] ^= 1;
                case SLOW -> sleep(30_000);
                default -> {
                }
            }
            exchange.getResponseHeaders().set("Content-Range", contentRange);
            exchange.sendResponseHeaders(206, length);
            OutputStream out = exchange.getResponseBody();
            if (behaviour == Behaviour.SHORT_BODY) {
                out.write(body, 0, length / 2);
                out.flush();
                // A handler that throws makes the server drop the connection mid-body.
                throw new IOException("fake edge stops half-way");
            }
            out.write(body);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
