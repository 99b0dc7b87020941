import dev.tether.agent.fuse.ReadOnlyFile;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark's reference: confluent's urlmount3 as its source documents it, rebuilt as faithfully as a Java
 * {@link ReadOnlyFile} allows. urlmount3 serves a plain squashfs (no encryption: the reference pays for no
 * decryption) through FUSE 3 in single-threaded mode with one libcurl easy handle, so:
 * <ul>
 *   <li>each FUSE read becomes exactly one {@code Range: bytes=off-(off+size-1)} GET of the read's size (the
 *       kernel's own FUSE read-ahead still makes sequential reads up to 128 KiB each), and reads are served one
 *       at a time (the lock stands for {@code -s});</li>
 *   <li>one connection, kept alive between requests, as curl's handle keeps it;</li>
 *   <li>no cache and no read-ahead of its own;</li>
 *   <li>on an error it moves to the next URL in its list and asks again, round and round.</li>
 * </ul>
 * The HTTP client is a plain blocking socket reading the body straight into the kernel's buffer, as curl's
 * write callback copies it: no client library overhead that the C original would not have.
 */
final class UrlmountReference implements ReadOnlyFile {
    private final List<URI> urls;
    private final long size;
    private final byte[] copy = new byte[1 << 20];
    private int current;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private long requests;
    private long bytes;

    UrlmountReference(List<URI> urls, long size) {
        this.urls = List.copyOf(urls);
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    synchronized long requests() {
        return requests;
    }

    synchronized long bytes() {
        return bytes;
    }

    @Override
    public synchronized int read(long position, ByteBuffer dst) throws IOException {
        if (position >= size) {
            return 0;
        }
        int length = (int) Math.min(dst.remaining(), size - position);
        IOException last = null;
        for (int tried = 0; tried < urls.size(); tried++) {
            int mark = dst.position();
            try {
                get(urls.get(current), position, length, dst);
                bytes += length;
                return length;
            } catch (IOException e) {
                last = e;
                dst.position(mark);
                disconnect();
                current = (current + 1) % urls.size();
            }
        }
        throw last;
    }

    private void get(URI url, long position, int length, ByteBuffer dst) throws IOException {
        if (socket == null) {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(url.getHost(), url.getPort()), 15_000);
            socket.setSoTimeout(15_000);
            in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            out = socket.getOutputStream();
        }
        requests++;
        out.write(("GET " + url.getRawPath() + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
                + "\r\nRange: bytes=" + position + "-" + (position + length - 1) + "\r\nAccept: */*\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String status = line();
        if (!status.startsWith("HTTP/1.1 206")) {
            throw new IOException(url + " answered " + status);
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
            throw new IOException(url + " sent " + contentLength + " bytes for a range of " + length);
        }
        for (int left = length; left > 0; ) {
            int n = in.read(copy, 0, Math.min(left, copy.length));
            if (n < 0) {
                throw new IOException(url + " closed the connection mid-body");
            }
            dst.put(copy, 0, n);
            left -= n;
        }
        if (close) {
            disconnect();
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

    private void disconnect() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // Closing a broken connection: nothing left to do with it.
            }
            socket = null;
        }
    }
}
