import dev.tether.agent.fuse.ReadOnlyFile;
import dev.tether.image.format.ChunkSealer;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.ImageKey;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.ByteBuffer;

/**
 * The reference reader of the benchmark: what confluent's urlmount does. One keep-alive connection to one
 * edge, one request at a time: fetch the chunk, decrypt it, return; the last chunk is kept so small
 * sequential reads do not fetch it again. No read-ahead, no parallelism, no other edge.
 */
final class SingleConnectionReader implements ReadOnlyFile {
    private final URI blob;
    private final ImageHeader header;
    private final ChunkSealer sealer;
    private long lastIndex = -1;
    private final ByteBuffer last;

    SingleConnectionReader(URI blob, ImageHeader header, ImageKey key) throws IOException {
        this.blob = blob;
        this.header = header;
        this.sealer = new ChunkSealer(header, key);
        this.last = ByteBuffer.allocate(header.chunkSize());
    }

    @Override
    public long size() {
        return header.plaintextSize();
    }

    @Override
    public synchronized int read(long position, ByteBuffer dst) throws IOException {
        if (position >= size()) {
            return -1;
        }
        int copied = 0;
        while (dst.hasRemaining() && position < size()) {
            long index = header.chunkIndexAt(position);
            if (index != lastIndex) {
                var location = header.locate(index);
                HttpURLConnection connection = (HttpURLConnection) blob.toURL().openConnection();
                connection.setRequestProperty("Range", "bytes=" + location.offset() + "-" + location.lastByte());
                byte[] sealed;
                try (InputStream in = connection.getInputStream()) {
                    sealed = in.readNBytes(location.length());
                }
                last.clear();
                sealer.open(index, ByteBuffer.wrap(sealed), last);
                last.flip();
                lastIndex = index;
            }
            int within = (int) (position - index * header.chunkSize());
            int take = Math.min(dst.remaining(), last.limit() - within);
            dst.put(last.slice(within, take));
            position += take;
            copied += take;
        }
        return copied;
    }
}
