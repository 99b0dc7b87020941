package dev.tether.image.squashfs;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Where a squashfs's bytes come from: a file, or the agent's decrypted root image. Read at any position. */
@FunctionalInterface
public interface SquashfsSource {

    /**
     * Copies bytes from {@code position} into {@code dst} until it is full or the source ends.
     *
     * @return the number of bytes copied, or -1 at or past the end
     */
    int read(long position, ByteBuffer dst) throws IOException;

    static SquashfsSource of(FileChannel channel) {
        return (position, dst) -> channel.read(dst, position);
    }

    /** Fills {@code dst} from {@code position}, or fails: metadata never ends early in an intact image. */
    default void readFully(long position, ByteBuffer dst) throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int read = read(at, dst);
            if (read < 0) {
                throw new EOFException("the squashfs ends at " + at + ", inside its own metadata");
            }
            at += read;
        }
    }
}
