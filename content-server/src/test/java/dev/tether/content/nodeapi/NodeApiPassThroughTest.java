package dev.tether.content.nodeapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.content.edge.EdgeServer;
import dev.tether.content.testing.Blobs;
import dev.tether.content.testing.TestServers;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node API port relays bytes both ways, untouched, and closes both sides together; its sockets are marked
 * low-delay, so that a host's queue sends them before the image bytes.
 */
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

    @Test
    void withTheProxyProtocolTheNodeApiFirstLearnsWhichNodeConnected() throws Exception {
        byte[] request = Blobs.random(64 << 10, 3);
        ExecutorService threads = Executors.newFixedThreadPool(1);
        try (ServerSocket api = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
             EdgeServer edge = EdgeServer.start(new EdgeServer.Config(dir, 1L << 30, "http://127.0.0.1:9", List.of(),
                     TestServers.loopback(), TestServers.loopback(), new InetSocketAddress("127.0.0.1", api.getLocalPort()), null,
                     java.time.Duration.ofSeconds(1), null, TestServers.fastHttp(), TestServers.fastFill(),
                     java.time.Duration.ofMinutes(1), 1, null, java.time.InstantSource.system(), true))) {
            CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
                try (Socket s = api.accept(); InputStream in = s.getInputStream()) {
                    return in.readNBytes(28 + request.length);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, threads);
            try (Socket node = new Socket()) {
                node.bind(new InetSocketAddress("127.0.0.7", 0));
                node.connect(new InetSocketAddress("127.0.0.1", edge.apiPort()));
                node.getOutputStream().write(request);
                node.getOutputStream().flush();

                var got = java.nio.ByteBuffer.wrap(received.get(10, TimeUnit.SECONDS));
                byte[] signature = new byte[12];
                got.get(signature);
                assertThat(signature).as("PROXY protocol v2 signature")
                        .containsExactly(0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A);
                assertThat(got.get()).as("version 2, PROXY").isEqualTo((byte) 0x21);
                assertThat(got.get()).as("TCP over IPv4").isEqualTo((byte) 0x11);
                assertThat(got.getShort()).as("address block length").isEqualTo((short) 12);
                byte[] source = new byte[4];
                got.get(source);
                assertThat(InetAddress.getByAddress(source).getHostAddress()).isEqualTo("127.0.0.7");
                got.getInt();
                assertThat(Short.toUnsignedInt(got.getShort())).as("the node's port").isEqualTo(node.getLocalPort());
                assertThat(Short.toUnsignedInt(got.getShort())).as("the port it dialled").isEqualTo(edge.apiPort());
                byte[] rest = new byte[got.remaining()];
                got.get(rest);
                assertThat(rest).as("then the node's bytes, untouched").isEqualTo(request);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * A boot storm fills an edge's link with image bytes; the node API's few packets must not wait behind them (issue
     * #15). The kernel's own view of the edge's sockets ({@code ss --tos}): both sockets of a relay carry
     * IPTOS_LOWDELAY, which the default queue (pfifo_fast) sends first, and so does the node API port's listening
     * socket, whose TOS Linux gives the SYN-ACK of every connection it accepts; the content port's do not.
     */
    @Test
    void theRelaysSocketsAreMarkedLowDelayAndTheContentPortsAreNot() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ss")) || Files.isExecutable(Path.of("/bin/ss")),
                "SKIPPED: no ss (iproute2) to read the sockets' TOS from the kernel");
        try (ServerSocket api = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
             EdgeServer edge = TestServers.edge(dir, 1L << 30, "http://127.0.0.1:9", List.of(), null,
                     new InetSocketAddress("127.0.0.1", api.getLocalPort()));
             Socket node = new Socket("127.0.0.1", edge.apiPort());
             Socket operatorSide = api.accept();
             Socket contentClient = new Socket("127.0.0.1", edge.port())) {
            // Once the operator side accepted, the edge has both sockets of the relay.
            assertThat(sockets("sport = :" + edge.apiPort())).as("the edge's socket to the node").contains("tos:0x10");
            assertThat(sockets("dport = :" + api.getLocalPort())).as("the edge's socket to the node API").contains("tos:0x10");
            assertThat(sockets("sport = :" + edge.port())).as("the content port's socket (image bytes)")
                    .contains(":" + edge.port()).doesNotContain("tos:0x10");
            assertThat(sockets("listening", "sport = :" + edge.apiPort())).as("the node API port's listening socket")
                    .contains(":" + edge.apiPort()).contains("tos:0x10");
            assertThat(sockets("listening", "sport = :" + edge.port())).as("the content port's listening socket")
                    .contains(":" + edge.port()).doesNotContain("tos:0x10");
        }
    }

    /** The established TCP sockets matching {@code filter}, with their TOS, as {@code ss} reads them from the kernel. */
    private static String sockets(String filter) throws Exception {
        return sockets("established", filter);
    }

    /** The TCP sockets in {@code state} matching {@code filter}, with their TOS, as {@code ss} reads them. */
    private static String sockets(String state, String filter) throws Exception {
        Process ss = new ProcessBuilder("ss", "-tnH", "--tos", "state", state, "( " + filter + " )")
                .redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ss.waitFor()).as("ss: " + out).isZero();
        return out;
    }
}
