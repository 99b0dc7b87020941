package dev.tether.image.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The arithmetic a network reader relies on: one chunk is one contiguous range, and ranges tile the file. */
class LayoutTest {
    @TempDir
    Path dir;

    @Test
    void chunkRangesTileTheContainerAndEachReadIsOneRange() throws Exception {
        Random random = new Random(9);
        ImageKey key = ImageKey.generate(new SecureRandom());
        int chunk = 128 * 1024;
        Path container = Containers.write(dir, Containers.randomBytes(random, 4 * chunk + 3),
                ImageOptions.encrypted(key).withChunkSize(chunk), random);
        List<ChunkLocation> requested = new ArrayList<>();
        FileChunkSource file = FileChunkSource.open(container);
        ChunkSource recording = new ChunkSource() {
            @Override
            public ByteBuffer readHeader() throws IOException {
                return file.readHeader();
            }

            @Override
            public ByteBuffer readChunk(ChunkLocation location) throws IOException {
                requested.add(location);
                return file.readChunk(location);
            }
        };

        try (RootImageReader reader = RootImageReader.open(recording, key)) {
            reader.verifyAll();
            ImageHeader header = reader.header();
            long expectedOffset = ImageHeader.SIZE;
            for (ChunkLocation location : requested) {
                assertThat(location.offset()).isEqualTo(expectedOffset);
                assertThat(location.lastByte()).isEqualTo(location.offset() + location.length() - 1);
                expectedOffset += location.length();
            }
            assertThat(requested).hasSize(5);
            assertThat(requested.get(4).length()).isEqualTo(3 + 16);
            assertThat(expectedOffset).isEqualTo(Files.size(container)).isEqualTo(header.containerSize());
        } finally {
            file.close();
        }
    }

    @Test
    void chunkSizeMustBeAPowerOfTwoWithinBounds() {
        for (int bad : new int[] {0, 1000, 8 * 1024, 3 * 65536, 32 * 1024 * 1024}) {
            assertThatThrownBy(() -> ImageOptions.unencrypted().withChunkSize(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("power of two from 16 KiB to 16 MiB");
        }
        assertThat(ImageOptions.unencrypted().withChunkSize(16 * 1024 * 1024).chunkSize()).isEqualTo(1 << 24);
        assertThat(ImageOptions.unencrypted().withChunkSize(16 * 1024).chunkSize()).isEqualTo(1 << 14);
    }

    @Test
    void emptyImageHasNoChunksAndOnlyAHeader() throws Exception {
        Path container = Containers.write(dir, new byte[0], ImageOptions.unencrypted(), new Random());
        assertThat(Files.size(container)).isEqualTo(ImageHeader.SIZE);
        try (RootImageReader reader = RootImageReader.open(FileChunkSource.open(container), null)) {
            assertThat(reader.header().chunkCount()).isZero();
            assertThat(reader.read(0, ByteBuffer.allocate(10))).isEqualTo(-1);
        }
    }

    @Test
    void writerRefusesPlaintextThatDoesNotMatchTheDeclaredSize() throws Exception {
        Path out = dir.resolve("short.img");
        try (var channel = Files.newByteChannel(out, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE)) {
            RootImageWriter writer = RootImageWriter.start(channel, 10, ImageOptions.unencrypted());
            writer.write(new byte[4], 0, 4);
            assertThatThrownBy(writer::close).hasMessage("plaintext ended after 4 of the declared 10 bytes");
            RootImageWriter second = RootImageWriter.start(channel, 2, ImageOptions.unencrypted());
            assertThatThrownBy(() -> second.write(new byte[3], 0, 3)).hasMessageContaining("more plaintext than");
        }
    }

    @Test
    void keyIdNeverRevealsTheKey() {
        ImageKey key = ImageKey.of(new byte[32]);
        assertThat(key.toString()).isEqualTo("ImageKey[id=" + key.keyIdHex() + "]");
        assertThat(key.keyIdHex()).hasSize(32).isNotEqualTo("0".repeat(32));
    }
}
