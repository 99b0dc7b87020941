package dev.tether.operator.nodeapi;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** A client that sends a request's first bytes and then one byte at a time: what a deadline must cut off. */
final class SlowClient {
    private SlowClient() {}

    /**
     * Sends {@code start}, then a byte every 100 ms (pacing: far more often than any idle timeout) until the server
     * closes the connection; fails if it has not within {@code atMost}.
     *
     * @return the first byte the server sent, or -1 when it closed without an answer
     */
    static int trickleUntilClosed(Socket socket, byte[] start, Duration atMost) throws IOException, InterruptedException {
        var closedByServer = new CompletableFuture<Integer>();
        Thread.ofVirtual().start(() -> {
            try {
                closedByServer.complete(socket.getInputStream().read());
            } catch (IOException e) {
                closedByServer.complete(-1);
            }
        });
        OutputStream out = socket.getOutputStream();
        out.write(start);
        out.flush();
        await().atMost(atMost).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!closedByServer.isDone()) {
                try {
                    out.write('x');
                    out.flush();
                } catch (IOException e) {
                    return true;
                }
            }
            return closedByServer.isDone();
        });
        try {
            return closedByServer.get();
        } catch (ExecutionException e) {
            throw new IOException(e.getCause());
        }
    }
}
