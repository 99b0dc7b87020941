package dev.tether.agent.fuse;

import java.io.IOException;
import java.nio.ByteBuffer;

/** What a {@link SingleFileFilesystem} serves: a fixed-size file read at any position, from any thread. */
public interface ReadOnlyFile {

    long size();

    /**
     * Copies bytes from {@code position} into {@code dst} until it is full or the file ends.
     *
     * @return the number of bytes copied, or -1 at or past the end
     */
    int read(long position, ByteBuffer dst) throws IOException;
}
