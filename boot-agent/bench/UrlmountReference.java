import dev.tether.agent.fuse.ReadOnlyFile;
import dev.tether.dev.PlainHttpConnection;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

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
 * The HTTP client is {@link PlainHttpConnection}, a plain blocking socket reading the body straight into the
 * kernel's buffer, as curl's write callback copies it: no client library overhead that the C original would not have.
 * It is the same connection the boot storm's reference nodes use.
 */
final class UrlmountReference implements ReadOnlyFile {
    /** urlmount3 sets no curl timeouts of its own beyond the connection's; a stalled edge is left after this. */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(15);

    private final List<URI> urls;
    private final long size;
    private int current;
    private PlainHttpConnection connection;
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
            URI url = urls.get(current);
            try {
                if (connection == null) {
                    connection = new PlainHttpConnection(url, READ_TIMEOUT);
                }
                requests++;
                connection.getRange(url.getRawPath(), position, length, dst);
                bytes += length;
                return length;
            } catch (IOException e) {
                last = e;
                dst.position(mark);
                connection.close();
                connection = null;
                current = (current + 1) % urls.size();
            }
        }
        throw last;
    }
}
