package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The plain-HTTP range client against a raw socket that drops connections before answering. */
class PlainHttpRangesTest {
    private static final byte[] BODY = "0123456789".getBytes(StandardCharsets.US_ASCII);

    private final PlainHttpRanges client = new PlainHttpRanges(Duration.ofSeconds(5));
    private ServerSocket server;

    @AfterEach
    void stop() throws IOException {
        client.close();
        if (server != null) {
            server.close();
        }
    }

    /** What a raw edge does with one connection; {@code number} counts the edge's connections from 1. */
    @FunctionalInterface
    private interface ConnectionHandler {
        void serve(Socket socket, int number) throws IOException;
    }

    /** A raw edge on loopback that hands each connection it accepts, counted in {@code accepted}, to {@code handler}. */
    private URI edge(AtomicInteger accepted, ConnectionHandler handler) throws IOException {
        // The loop keeps its own socket: a test that starts a second edge reassigns the field.
        ServerSocket listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        server = listening;
        Thread.ofVirtual().start(() -> {
            while (!listening.isClosed()) {
                try (Socket socket = listening.accept()) {
                    handler.serve(socket, accepted.incrementAndGet());
                } catch (IOException e) {
                    // closed by the client or at the end of the test
                }
            }
        });
        return URI.create("http://127.0.0.1:" + listening.getLocalPort() + "/blobs/sha256/" + "a".repeat(64));
    }

    /** Accepts connections; the first {@code drops} are closed once the request has arrived, the others answered. */
    private URI edgeDropping(int drops, AtomicInteger accepted) throws IOException {
        return edge(accepted, (socket, number) -> {
            readHead(socket.getInputStream());
            if (number > drops) {
                socket.getOutputStream().write(("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-9/100\r\n"
                        + "Content-Length: 10\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().write(BODY);
            }
        });
    }

    /** Answers every request on every connection with {@code head} and {@link #BODY}, keeping the connection open. */
    private URI edgeAnswering(String head, AtomicInteger accepted) throws IOException {
        return edge(accepted, (socket, number) -> {
            InputStream in = socket.getInputStream();
            while (readHead(in)) {
                socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().write(BODY);
            }
        });
    }

    /** @return false when the connection closed before a whole head */
    private static boolean readHead(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        for (int b; matched < 4 && (b = in.read()) >= 0; ) {
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return matched == 4;
    }

    @Test
    void aNewConnectionDroppedBeforeAnyAnswerIsTriedOnceMore() throws Exception {
        var accepted = new AtomicInteger();
        URI blob = edgeDropping(1, accepted);

        RangeBody body = client.fetch(blob, 0, 10, null).get(30, TimeUnit.SECONDS);

        byte[] got = new byte[body.bytes().remaining()];
        body.bytes().get(got);
        assertThat(got).isEqualTo(BODY);
        assertThat(accepted).hasValue(2);
        body.release();
    }

    /**
     * A head that frames its body two ways is not an answer (RFC 9112, section 6.3: a client closes the connection and
     * discards it). Taken by its first value, its bytes would be counted one way here and another by whatever else reads
     * the stream, and the connection, pooled, would carry the difference into the next answer. The edge's failure, like
     * any head the client cannot take, and its connection is not asked again.
     */
    @Test
    void anAnswerThatGivesTwoLengthsOrTwoRangesIsRefused() throws Exception {
        for (String twice : new String[]{"Content-Length: 10\r\nContent-Length: 0\r\n",
                "Content-Length: 10\r\nContent-Range: bytes 90-99/100\r\n"}) {
            var accepted = new AtomicInteger();
            URI blob = edgeAnswering("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-9/100\r\n" + twice + "\r\n",
                    accepted);

            for (int fetch = 1; fetch <= 2; fetch++) {
                assertThatThrownBy(() -> client.fetch(blob, 0, 10, null).get(30, TimeUnit.SECONDS))
                        .as(twice).isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOf(EdgeFailure.class).hasMessageContaining("more than one");
            }
            assertThat(accepted).as("a new connection for each fetch: the refused one was not pooled").hasValue(2);
            server.close();
        }
    }

    /** A header line with no name before its colon: the edge's failure, said so, not an exception of the parser's. */
    @Test
    void aHeaderLineWithoutANameIsRefusedSayingSo() throws Exception {
        URI blob = edgeAnswering("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-9/100\r\nContent-Length: 10\r\n"
                + "   : x\r\n\r\n", new AtomicInteger());

        assertThatThrownBy(() -> client.fetch(blob, 0, 10, null).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(EdgeFailure.class)
                .hasMessage("answered with a header line without a name:    : x");
    }

    @Test
    void anEdgeThatDropsEveryConnectionIsTheEdgesFailureAfterTwo() throws Exception {
        var accepted = new AtomicInteger();
        URI blob = edgeDropping(Integer.MAX_VALUE, accepted);

        assertThatThrownBy(() -> client.fetch(blob, 0, 10, null).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(EdgeFailure.class).hasMessage("closed 2 new connections without answering");
        assertThat(accepted).hasValue(2);
    }
}
