package dev.tether.agent.image;

import dev.tether.content.edge.EdgeServer;
import dev.tether.content.edge.FillSettings;
import dev.tether.content.http.HttpSettings;
import dev.tether.content.origin.OriginServer;
import dev.tether.content.store.BearerToken;
import dev.tether.image.format.ContentDigest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An origin holding one container and real edges in front of it, on loopback. Edges can be killed,
 * restarted on the same port with the same cache, and have a chunk of their cached copy damaged.
 */
final class TestEdges implements AutoCloseable {
    private static final String TOKEN = "agent-test-token";

    private final Path dir;
    private final OriginServer origin;
    private final EdgeServer[] edges;
    private final int[] ports;
    private final String hex;

    private TestEdges(Path dir, OriginServer origin, int count, String hex) {
        this.dir = dir;
        this.origin = origin;
        this.edges = new EdgeServer[count];
        this.ports = new int[count];
        this.hex = hex;
    }

    static TestEdges start(Path dir, Path container, int count) throws IOException, InterruptedException {
        OriginServer origin = OriginServer.start(new OriginServer.Config(dir.resolve("origin"), BearerToken.of(TOKEN),
                new InetSocketAddress("127.0.0.1", 0), null, HttpSettings.defaults(), 2));
        String digest = ContentDigest.ofFile(container);
        TestEdges edges = new TestEdges(dir, origin, count, ContentDigest.hex(digest));
        try {
            edges.upload(container);
            for (int i = 0; i < count; i++) {
                edges.startEdge(i, 0);
            }
            return edges;
        } catch (IOException | RuntimeException e) {
            edges.close();
            throw e;
        }
    }

    private void upload(Path container) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                            URI.create(address(origin.port()) + "/blobs/sha256/" + hex))
                    .header("Authorization", "Bearer " + TOKEN)
                    .PUT(HttpRequest.BodyPublishers.ofFile(container)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new IOException("upload to the test origin failed: " + response.statusCode() + " " + response.body());
            }
        }
    }

    private void startEdge(int i, int port) throws IOException {
        edges[i] = EdgeServer.start(new EdgeServer.Config(dir.resolve("edge" + i), 1L << 30, address(origin.port()), List.of(),
                new InetSocketAddress("127.0.0.1", port), null, null, null, Duration.ofSeconds(1), null,
                // The production fill bounds: a CI machine's slow first fill must not turn into a 502 the reader counts as
                // an edge failure; no test here stops the origin.
                HttpSettings.defaults(), FillSettings.defaults(),
                Duration.ofMinutes(1), 2));
        ports[i] = edges[i].port();
    }

    List<URI> urls() {
        List<URI> out = new ArrayList<>();
        for (int port : ports) {
            out.add(URI.create(address(port)));
        }
        return out;
    }

    URI url(int i) {
        return URI.create(address(ports[i]));
    }

    /** Stops edge {@code i} at once: connections close, new ones are refused. */
    void kill(int i) {
        if (edges[i] != null) {
            edges[i].shutdown(Duration.ZERO);
            edges[i] = null;
        }
    }

    /** Starts edge {@code i} again on its old port with its old cache. */
    void restart(int i) throws IOException {
        startEdge(i, ports[i]);
    }

    /** Makes every edge fetch and cache the whole container now. */
    void fillAll() throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            for (int i = 0; i < edges.length; i++) {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(address(ports[i]) + "/blobs/sha256/" + hex))
                        .build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() != 200) {
                    throw new IOException("edge " + i + " answered " + response.statusCode());
                }
            }
        }
    }

    /** Flips one byte of edge {@code i}'s cached copy in place, as a disk error would. */
    void damage(int i, long offset) throws IOException {
        Path cached = dir.resolve("edge" + i).resolve("blobs/sha256").resolve(hex);
        if (!Files.exists(cached)) {
            throw new IOException("edge " + i + " has not cached the container yet: " + cached);
        }
        try (FileChannel channel = FileChannel.open(cached, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offset);
            one.put(0, (byte) (one.get(0) ^ 0x5a)).rewind();
            channel.write(one, offset);
        }
    }

    /** Replaces edge {@code i}'s cached copy with {@code bytes}, as someone with its disk could; stop it first. */
    void replaceCached(int i, byte[] bytes) throws IOException {
        Path cached = dir.resolve("edge" + i).resolve("blobs/sha256").resolve(hex);
        if (!Files.exists(cached)) {
            throw new IOException("edge " + i + " has not cached the container yet: " + cached);
        }
        Files.write(cached, bytes);
    }

    private static String address(int port) {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        for (int i = 0; i < edges.length; i++) {
            kill(i);
        }
        origin.shutdown(Duration.ZERO);
    }
}
