package dev.tether.image.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/** Test helpers: random plaintext, containers written through the real writer, and byte surgery on files. */
final class Containers {
    private Containers() {
    }

    static byte[] randomBytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** Writes {@code plaintext} through the streaming writer, fed in randomly sized pieces. */
    static Path write(Path dir, byte[] plaintext, ImageOptions options, Random random) throws IOException {
        Path container = Files.createTempFile(dir, "root", ".img");
        try (FileChannel out = FileChannel.open(container, StandardOpenOption.WRITE)) {
            RootImageWriter writer = RootImageWriter.start(out, plaintext.length, options);
            int position = 0;
            while (position < plaintext.length) {
                int piece = Math.min(plaintext.length - position, 1 + random.nextInt(3 * options.chunkSize() / 2));
                writer.write(plaintext, position, piece);
                position += piece;
            }
            writer.close();
        }
        return container;
    }

    static byte[] readAll(Path container, ImageKey key) throws IOException {
        try (RootImageReader reader = RootImageReader.open(FileChunkSource.open(container), key)) {
            ByteBuffer all = ByteBuffer.allocate((int) reader.size());
            reader.read(0, all);
            return all.array();
        }
    }

    static void flipByte(Path file, long offset) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offset);
            one.flip();
            byte flipped = (byte) (one.get(0) ^ 0x01);
            channel.write(ByteBuffer.wrap(new byte[] {flipped}), offset);
        }
    }

    static void overwrite(Path file, long offset, byte[] bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(bytes), offset);
        }
    }
}
