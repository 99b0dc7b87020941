package dev.tether.content.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in origin or peer that serves one body for every GET, as slowly as asked and possibly
 * corrupted, and counts the requests: fills are observed from the source's side.
 */
public final class FakeSource implements AutoCloseable {
    private final ServerSocket server;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final AtomicInteger gets = new AtomicInteger();
    private final AtomicInteger bytesSent = new AtomicInteger();
    private volatile byte[] body;
    private volatile int chunk = 64 * 1024;
    private volatile long pauseMillis;
    private volatile int truncateAt = Integer.MAX_VALUE;
    private volatile int status = 200;
    private volatile long announced = -1;

    public FakeSource(byte[] body) throws IOException {
        this.body = body;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        pool.execute(this::acceptLoop);
    }

    /** Sends {@code chunk} bytes, then pauses, and so on: a fill that takes a while. */
    public FakeSource throttle(int chunkBytes, long pause) {
        this.chunk = chunkBytes;
        this.pauseMillis = pause;
        return this;
    }

    /** Announces the whole body but hangs up after {@code bytes}: a source that dies mid-fill. */
    public FakeSource truncateAt(int bytes) {
        this.truncateAt = bytes;
        return this;
    }

    /**
     * Announces {@code length} bytes in its Content-Length whatever it sends (the body, then it hangs up): a source
     * that lies about the blob's size.
     */
    public FakeSource announce(long length) {
        this.announced = length;
        return this;
    }

    /** Answers every GET with this status and a short body instead of the blob (200 serves the blob again). */
    public FakeSource answer(int status) {
        this.status = status;
        return this;
    }

    /** Serves these bytes from now on. */
    public FakeSource body(byte[] body) {
        this.body = body;
        return this;
    }

    public int port() {
        return server.getLocalPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    public int gets() {
        return gets.get();
    }

    public int bytesSent() {
        return bytesSent.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                pool.execute(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            StringBuilder head = new StringBuilder();
            int c;
            while ((c = in.read()) != -1) {
                head.append((char) c);
                if (head.toString().endsWith("\r\n\r\n")) {
                    break;
                }
            }
            if (!head.toString().startsWith("GET ")) {
                return;
            }
            gets.incrementAndGet();
            if (status != 200) {
                out.write(("HTTP/1.1 " + status + " Failing\r\nContent-Length: 5\r\nConnection: close\r\n\r\nbroke")
                        .getBytes(StandardCharsets.US_ASCII));
                return;
            }
            byte[] b = body;
            long length = announced >= 0 ? announced : b.length;
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            int end = Math.min(b.length, truncateAt);
            for (int off = 0; off < end; off += chunk) {
                int n = Math.min(chunk, end - off);
                out.write(b, off, n);
                out.flush();
                bytesSent.addAndGet(n);
                if (pauseMillis > 0) {
                    Thread.sleep(pauseMillis);
                }
            }
        } catch (IOException | InterruptedException e) {
            // the edge hung up: fine for a test source
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        pool.shutdownNow();
    }
}
