package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.tether.image.format.Manifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The manifest comes over plain HTTP from untrusted edges. Its digest binds its bytes, but only once they are all
 * read: an edge that sends more than any manifest, or sends it for ever, must cost the agent neither its heap (32 MiB
 * on a tethered node) nor its boot, and the next edge must be asked.
 */
class ManifestResolverTest {
    private static final String ROOT_IMAGE = "sha256:" + "cd".repeat(32);
    /** Far more than a manifest (at most 1 MiB) and loopback's socket buffers hold; far less than the test's heap. */
    private static final long FLOOD_BYTES = 256L << 20;
    /** The resolver's deadline for the head here (10 s in the agent); the whole answer gets twice this. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration WHOLE_ANSWER = REQUEST_TIMEOUT.multipliedBy(2);

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final AgentConsole console = new AgentConsole(new PrintStream(printed, true, StandardCharsets.UTF_8),
            Optional.empty(), false);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final List<ServerSocket> servers = new ArrayList<>();
    /**
     * Completes when a forged edge's write fails: the agent hung up while the edge was still sending (the JDK client
     * closes the connection at its selector's next wake-up, within 3 s).
     */
    private final CompletableFuture<Void> hungUp = new CompletableFuture<>();
    private ManifestServer honest;
    private String image;

    @BeforeEach
    void publish() throws IOException {
        honest = new ManifestServer();
        image = honest.publish(ManifestServer.manifest(ROOT_IMAGE, 1 << 20, true, "ab".repeat(16)));
    }

    @AfterEach
    void stop() throws IOException {
        http.shutdownNow();
        honest.close();
        for (ServerSocket server : servers) {
            server.close();
        }
    }

    /** What a forged edge does with one connection, once it has read the request. */
    @FunctionalInterface
    private interface Answer {
        void send(OutputStream out) throws IOException, InterruptedException;
    }

    /** A raw edge on loopback that reads each request's head and gives {@code answer}. */
    private URI forgedEdge(Answer answer) throws IOException {
        ServerSocket listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        servers.add(listening);
        Thread.ofVirtual().start(() -> {
            while (!listening.isClosed()) {
                try (Socket socket = listening.accept()) {
                    readHead(socket.getInputStream());
                    try {
                        answer.send(socket.getOutputStream());
                    } catch (IOException e) {
                        hungUp.complete(null);
                    }
                } catch (IOException | InterruptedException e) {
                    // the test ended
                }
            }
        });
        return URI.create("http://127.0.0.1:" + listening.getLocalPort());
    }

    private static void readHead(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        for (int b; matched < 4 && (b = in.read()) >= 0; ) {
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }

    /**
     * A 200 of {@link #FLOOD_BYTES} framed three ways: read until the edge closes, a Content-Length far beyond any
     * manifest, and a chunked body. Every byte the edge manages to send is counted in {@code sent}.
     */
    private static Answer flood(String framing, AtomicLong sent) {
        boolean chunked = framing.equals("chunked");
        String head = switch (framing) {
            case "close" -> "Connection: close\r\n";
            case "length" -> "Content-Length: " + FLOOD_BYTES + "\r\n";
            case "chunked" -> "Transfer-Encoding: chunked\r\n";
            default -> throw new IllegalArgumentException(framing);
        };
        byte[] block = new byte[64 << 10];
        Arrays.fill(block, (byte) '{');
        byte[] chunkHead = (Integer.toHexString(block.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        return out -> {
            out.write(("HTTP/1.1 200 OK\r\n" + head + "\r\n").getBytes(StandardCharsets.US_ASCII));
            while (sent.get() < FLOOD_BYTES) {
                out.write(chunked ? chunkHead : new byte[0]);
                out.write(block);
                out.write(chunked ? "\r\n".getBytes(StandardCharsets.US_ASCII) : new byte[0]);
                sent.addAndGet(block.length);
            }
            out.write(chunked ? "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII) : new byte[0]);
            out.flush();
        };
    }

    /**
     * The JDK client's byte-array body read all of it before the size was looked at: 256 MiB here. With the agent's
     * heap (-Xmx32m) it filled the heap after 27 MiB and the fetch never returned (still waiting after 13 minutes, no
     * line on the console), so no other edge was asked either. Now the agent reads 1 MiB and hangs up.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"close", "length", "chunked"})
    void anAnswerLargerThanAnyManifestIsCutOffAndTheNextEdgeServesTheManifest(String framing) throws Exception {
        AtomicLong sent = new AtomicLong();
        URI forged = forgedEdge(flood(framing, sent));
        ManifestResolver resolver = new ManifestResolver(http, Duration.ZERO, REQUEST_TIMEOUT, console);

        Throwable refused = catchThrowable(() -> within(() -> resolver.fetch(List.of(forged), image)));
        // What the edge's writes put into loopback's socket buffers counts too: some 5 MiB.
        assertThat(sent.get()).as("bytes the forged edge got the agent to take").isLessThan(16L << 20);
        assertThat(refused).isInstanceOf(IOException.class)
                .hasMessageContaining(forged + ": sent more than the 1048576 bytes a manifest may have");
        hungUp.get(30, TimeUnit.SECONDS);

        Manifest manifest = within(() -> resolver.fetch(List.of(forged, honest.url()), image));
        assertThat(manifest.rootImage().digest()).isEqualTo(ROOT_IMAGE);
    }

    /**
     * A head in time, then a byte every 100 ms: the JDK client's request timeout ends at the head, so the body was
     * waited for as long as the edge kept sending (still waiting after 60 s here), and the edges after it were never
     * asked. Now the whole answer has the deadline, and the agent hangs up on the edge.
     */
    @Test
    void anEdgeThatTricklesTheManifestIsGivenUpAndTheNextEdgeServesIt() throws Exception {
        URI trickling = forgedEdge(out -> {
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            for (int i = 0; i < 4096; i++) {
                Thread.sleep(100);
                out.write('{');
                out.flush();
            }
        });
        ManifestResolver resolver = new ManifestResolver(http, Duration.ZERO, REQUEST_TIMEOUT, console);

        assertThatThrownBy(() -> within(() -> resolver.fetch(List.of(trickling), image)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(trickling + ": no whole answer within " + WHOLE_ANSWER.toSeconds() + "s");
        hungUp.get(30, TimeUnit.SECONDS);

        Manifest manifest = within(() -> resolver.fetch(List.of(trickling, honest.url()), image));
        assertThat(manifest.rootImage().digest()).isEqualTo(ROOT_IMAGE);
    }

    @FunctionalInterface
    private interface Fetch {
        Manifest run() throws Exception;
    }

    /** Runs {@code fetch}, failing the test if it has not ended well after the resolver's own deadlines. */
    private static Manifest within(Fetch fetch) throws Exception {
        CompletableFuture<Manifest> result = new CompletableFuture<>();
        Thread thread = Thread.ofPlatform().daemon().start(() -> {
            try {
                result.complete(fetch.run());
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        });
        try {
            return result.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (TimeoutException e) {
            thread.interrupt();
            throw new AssertionError("the manifest fetch had not ended after 60 s", e);
        }
    }
}
