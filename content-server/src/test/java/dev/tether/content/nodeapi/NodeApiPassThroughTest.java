package dev.tether.content.nodeapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.content.edge.EdgeServer;
import dev.tether.content.testing.Blobs;
import dev.tether.content.testing.TestServers;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node API port relays bytes both ways, untouched, and closes both sides together. */
class NodeApiPassThroughTest {
    @TempDir
    Path dir;

    @Test
    void relaysBytesBothWaysAndPropagatesClose() throws Exception {
        byte[] request = Blobs.random(3 << 20, 1);
        byte[] reply = Blobs.random(5 << 20, 2);
        // Own threads: the common pool may have a single worker on a small machine.
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (ServerSocket api = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
             EdgeServer edge = TestServers.edge(dir, 1L << 30, "http://127.0.0.1:9", List.of(), null,
                     new InetSocketAddress("127.0.0.1", api.getLocalPort()))) {
            // The "operator": reads the whole request, answers, then closes.
            CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
                try (Socket s = api.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                    byte[] got = in.readNBytes(request.length);
                    out.write(reply);
                    out.flush();
                    return got;
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, threads);
            try (Socket node = new Socket("127.0.0.1", edge.apiPort())) {
                node.setSoTimeout(10_000);
                CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                    try {
                        node.getOutputStream().write(request);
                        node.getOutputStream().flush();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }, threads);
                byte[] got = node.getInputStream().readNBytes(reply.length);
                sending.get(10, TimeUnit.SECONDS);
                assertThat(got).isEqualTo(reply);
                assertThat(received.get(10, TimeUnit.SECONDS)).isEqualTo(request);
                // The operator closed: the node's side closes too.
                assertThat(node.getInputStream().read()).isEqualTo(-1);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void anUnreachableNodeApiClosesTheNodesConnection() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        try (EdgeServer edge = TestServers.edge(dir, 1L << 30, "http://127.0.0.1:9", List.of(), null,
                new InetSocketAddress("127.0.0.1", closed));
             Socket node = new Socket("127.0.0.1", edge.apiPort())) {
            node.setSoTimeout(10_000);
            assertThat(node.getInputStream().read()).isEqualTo(-1);
        }
    }
}
