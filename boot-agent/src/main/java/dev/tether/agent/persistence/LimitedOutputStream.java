package dev.tether.agent.persistence;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Stops at the node's limit: the byte that would pass it is never written. */
final class LimitedOutputStream extends FilterOutputStream {
    private final long limit;
    private long written;

    LimitedOutputStream(OutputStream out, long limit) {
        super(out);
        this.limit = limit;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        if (written + length > limit) {
            throw new ArchiveTooLargeException(limit);
        }
        out.write(bytes, offset, length);
        written += length;
    }
}
