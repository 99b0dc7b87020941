package dev.tether.image.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A container in a local file, read with positional reads so that threads share one channel. */
public final class FileChunkSource implements ChunkSource {
    private final FileChannel channel;

    private FileChunkSource(FileChannel channel) {
        this.channel = channel;
    }

    public static FileChunkSource open(Path file) throws IOException {
        return new FileChunkSource(FileChannel.open(file, StandardOpenOption.READ));
    }

    @Override
    public ByteBuffer readHeader() throws IOException {
        return readFully(0, ImageHeader.SIZE);
    }

    @Override
    public ByteBuffer readChunk(ChunkLocation location) throws IOException {
        return readFully(location.offset(), location.length());
    }

    private ByteBuffer readFully(long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        long position = offset;
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position);
            if (read < 0) {
                break;
            }
            position += read;
        }
        return buffer.flip();
    }

    @Override
    public long size() throws IOException {
        return channel.size();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
