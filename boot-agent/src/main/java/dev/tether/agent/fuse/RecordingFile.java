package dev.tether.agent.fuse;

import java.io.IOException;
import java.nio.ByteBuffer;

/** A {@link ReadOnlyFile} that tells a {@link ReadListener} of every read it served, after serving it. */
public final class RecordingFile implements ReadOnlyFile {
    private final ReadOnlyFile file;
    private final ReadListener listener;

    /** Told of each read; called on the FUSE threads, so it must be quick and thread-safe. */
    @FunctionalInterface
    public interface ReadListener {
        void served(long position, int length);
    }

    public RecordingFile(ReadOnlyFile file, ReadListener listener) {
        this.file = file;
        this.listener = listener;
    }

    @Override
    public long size() {
        return file.size();
    }

    @Override
    public int read(long position, ByteBuffer dst) throws IOException {
        int read = file.read(position, dst);
        if (read > 0) {
            listener.served(position, read);
        }
        return read;
    }
}
