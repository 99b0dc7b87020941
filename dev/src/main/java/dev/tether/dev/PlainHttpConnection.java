package dev.tether.dev;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * One kept-alive HTTP/1.1 connection asking one thing at a time, as iPXE's loader and urlmount3's curl handle do: a
 * plain socket, the body read into a buffer or dropped, no client library's copies. The reference readers of the
 * benchmarks use it (the boot storm's simulated iPXE and baseline nodes, the agent benchmark's urlmount3), so their
 * share of this machine's CPU stays what a node's own firmware or a C FUSE daemon would spend, not a Java client's.
 *
 * <p>{@code boot-agent/bench/run.sh} compiles this file from source beside its own: it uses nothing but the JDK.
 */
public final class PlainHttpConnection implements AutoCloseable {
    private final String host;
    private final int port;
    private final int readTimeoutMillis;
    private final byte[] copy = new byte[1 << 17];
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    /** A connection to {@code server}'s host and port, opened at the first request; a read may wait {@code readTimeout}. */
    public PlainHttpConnection(URI server, Duration readTimeout) {
        this.host = server.getHost();
        this.port = server.getPort();
        this.readTimeoutMillis = Math.toIntExact(readTimeout.toMillis());
    }

    /** The whole body of {@code path} into {@code dst} (null: read and dropped); its length. */
    public long get(String path, ByteBuffer dst) throws IOException {
        return request(path, -1, -1, dst);
    }

    /** {@code length} bytes at {@code position} of {@code path} (one range request) into {@code dst}. */
    public void getRange(String path, long position, int length, ByteBuffer dst) throws IOException {
        request(path, position, length, dst);
    }

    private long request(String path, long position, int length, ByteBuffer dst) throws IOException {
        if (socket == null) {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), 15_000);
            socket.setSoTimeout(readTimeoutMillis);
            in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            out = socket.getOutputStream();
        }
        boolean range = position >= 0;
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                + (range ? "\r\nRange: bytes=" + position + "-" + (position + length - 1) : "") + "\r\nAccept: */*\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String status = line();
        if (!status.startsWith(range ? "HTTP/1.1 206" : "HTTP/1.1 200")) {
            throw new IOException(host + ":" + port + path + " answered " + status);
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
        if (contentLength < 0 || range && contentLength != length) {
            throw new IOException(host + " sent " + contentLength + " bytes for " + (range ? "a range of " + length : path));
        }
        for (long left = contentLength; left > 0; ) {
            int n = in.read(copy, 0, (int) Math.min(left, copy.length));
            if (n < 0) {
                throw new IOException(host + " closed the connection mid-body");
            }
            if (dst != null) {
                dst.put(copy, 0, n);
            }
            left -= n;
        }
        if (close) {
            close();
        }
        return contentLength;
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
