package dev.tether.e2e.storm;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * One simulated node booting the reference design's way: one server, no edges; kernel and initramfs downloaded whole;
 * then the root image (the plain squashfs: the reference has no encryption) read as urlmount3 reads it, each FUSE
 * request one range request of the request's size, one at a time, on one kept-alive connection, no cache and no
 * read-ahead of its own. The reader is {@code boot-agent/bench/UrlmountReference.java}'s, for one URL. No node API:
 * the reference's own has no counterpart here, so its time to root leaves that part out.
 */
final class BaselineNode {
    /** The kernel's FUSE requests are at most 128 KiB (max_read) for urlmount3's mount. */
    static final int FUSE_MAX_READ = 128 * 1024;

    private final int index;
    private final URI server;
    private final String kernelPath;
    private final String initramfsPath;
    private final String rootPath;
    private final TraceReplay trace;

    BaselineNode(int index, URI server, String kernelPath, String initramfsPath, String rootPath, TraceReplay trace) {
        this.index = index;
        this.server = server;
        this.kernelPath = kernelPath;
        this.initramfsPath = initramfsPath;
        this.rootPath = rootPath;
        this.trace = trace.split(FUSE_MAX_READ);
    }

    NodeOutcome boot() {
        NodeOutcome node = new NodeOutcome(index);
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
             OneConnection root = new OneConnection(server, rootPath)) {
            node.timed("kernel", () -> TetherNode.download(http, server.resolve(kernelPath), node));
            node.timed("initramfs", () -> TetherNode.download(http, server.resolve(initramfsPath), node));
            long mount = System.nanoTime();
            node.received(TraceReader.replay(trace, mount, root::read));
            node.rootReached();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return node.failed(e);
        }
        return node;
    }

    /** urlmount3's one curl handle: a plain socket, one request at a time, the body copied as curl's callback does. */
    private static final class OneConnection implements AutoCloseable {
        private final URI server;
        private final String path;
        private final byte[] copy = new byte[1 << 17];
        private Socket socket;
        private InputStream in;
        private OutputStream out;

        OneConnection(URI server, String path) {
            this.server = server;
            this.path = path;
        }

        int read(long position, ByteBuffer dst) throws IOException {
            int length = dst.remaining();
            try {
                get(position, length, dst);
            } catch (IOException e) {
                // urlmount3 reconnects and asks again; with one URL, once.
                close();
                get(position, length, dst);
            }
            return length;
        }

        private void get(long position, int length, ByteBuffer dst) throws IOException {
            int mark = dst.position();
            if (socket == null) {
                socket = new Socket();
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(server.getHost(), server.getPort()), 15_000);
                socket.setSoTimeout(120_000);
                in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
                out = socket.getOutputStream();
            }
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + server.getHost() + ":" + server.getPort()
                    + "\r\nRange: bytes=" + position + "-" + (position + length - 1) + "\r\nAccept: */*\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = line();
            if (!status.startsWith("HTTP/1.1 206")) {
                throw new IOException(server + path + " answered " + status);
            }
            long contentLength = -1;
            boolean close = false;
            for (String header; !(header = line()).isEmpty(); ) {
                String lower = header.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    contentLength = Long.parseLong(lower.substring(15).trim());
                } else if (lower.startsWith("connection:") && lower.contains("close")) {
                    close = true;
                }
            }
            if (contentLength != length) {
                throw new IOException(server + " sent " + contentLength + " bytes for a range of " + length);
            }
            dst.position(mark);
            for (int left = length; left > 0; ) {
                int n = in.read(copy, 0, Math.min(left, copy.length));
                if (n < 0) {
                    throw new IOException(server + " closed the connection mid-body");
                }
                dst.put(copy, 0, n);
                left -= n;
            }
            if (close) {
                close();
            }
        }

        private String line() throws IOException {
            StringBuilder line = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            return line.toString();
        }

        @Override
        public void close() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // A broken connection: nothing left to do with it.
                }
                socket = null;
            }
        }
    }
}
