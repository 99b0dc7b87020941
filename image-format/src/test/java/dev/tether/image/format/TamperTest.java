package dev.tether.image.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Any change to any byte, a short container, a swapped chunk or a wrong key must be reported, never read. */
class TamperTest {
    private static final int CHUNK = ImageHeader.MIN_CHUNK_SIZE;
    private static final ImageKey KEY = ImageKey.generate(new SecureRandom());
    private static final int SIZE = 3 * CHUNK + 1000;

    @TempDir
    Path dir;

    static Stream<ImageOptions> bothCiphers() {
        return Stream.of(ImageOptions.encrypted(KEY).withChunkSize(CHUNK), ImageOptions.unencrypted().withChunkSize(CHUNK));
    }

    /** Offsets inside each chunk: first body byte, a middle one, last body byte, first and last tag byte. */
    static Stream<Arguments> flippedBytes() {
        List<Arguments> cases = new ArrayList<>();
        bothCiphers().forEach(options -> {
            ImageHeader layout = new ImageHeader(options.cipher(), CHUNK, SIZE, new byte[16], new byte[32]);
            for (long index = 0; index < layout.chunkCount(); index++) {
                long start = layout.chunkOffset(index);
                int body = layout.plaintextLength(index);
                int length = layout.chunkLength(index);
                for (long offset : new long[] {start, start + body / 2, start + body - 1, start + body, start + length - 1}) {
                    cases.add(Arguments.of(options, index, offset));
                }
            }
        });
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: chunk {1}, byte {2}")
    @MethodSource("flippedBytes")
    void flippedByteFailsExactlyThatChunk(ImageOptions options, long index, long offset) throws Exception {
        Random random = new Random(offset);
        byte[] plaintext = Containers.randomBytes(random, SIZE);
        Path container = Containers.write(dir, plaintext, options, random);

        Containers.flipByte(container, offset);

        try (RootImageReader reader = RootImageReader.open(FileChunkSource.open(container), options.key())) {
            assertThatThrownBy(() -> reader.readChunk(index))
                    .isInstanceOfSatisfying(ChunkIntegrityException.class,
                            e -> assertThat(e.chunkIndex()).isEqualTo(index))
                    .hasMessageContaining("chunk " + index)
                    .hasMessageContaining("integrity");
            for (long other = 0; other < reader.header().chunkCount(); other++) {
                if (other != index) {
                    assertThat(reader.readChunk(other).remaining()).isEqualTo(reader.header().plaintextLength(other));
                }
            }
            assertThatThrownBy(reader::verifyAll).isInstanceOf(ChunkIntegrityException.class);
        }
    }

    @ParameterizedTest
    @MethodSource("bothCiphers")
    void everyFlippedHeaderByteIsRejected(ImageOptions options) throws Exception {
        Random random = new Random(1);
        Path container = Containers.write(dir, Containers.randomBytes(random, CHUNK), options, random);
        byte[] original = Files.readAllBytes(container);

        for (int offset = 0; offset < ImageHeader.SIZE; offset++) {
            Files.write(container, original);
            Containers.flipByte(container, offset);
            assertThatThrownBy(() -> RootImageReader.open(FileChunkSource.open(container), options.key()))
                    .as("flipped header byte %d", offset)
                    .isInstanceOf(ImageFormatException.class);
        }
    }

    @Test
    void headerRewrittenWithAValidChecksumStillFailsEveryChunk() throws Exception {
        Random random = new Random(2);
        ImageOptions options = ImageOptions.encrypted(KEY).withChunkSize(CHUNK);
        Path container = Containers.write(dir, Containers.randomBytes(random, 2 * CHUNK), options, random);
        ImageHeader genuine;
        try (FileChunkSource source = FileChunkSource.open(container)) {
            genuine = RootImageReader.readHeader(source);
        }
        // Same layout, other salt: an attacker can forge the checksum but not the chunk tags.
        ImageHeader forged = new ImageHeader(genuine.cipher(), genuine.chunkSize(), genuine.plaintextSize(),
                genuine.keyId(), new byte[ImageHeader.SALT_LENGTH]);
        Containers.overwrite(container, 0, forged.encoded());

        try (RootImageReader reader = RootImageReader.open(FileChunkSource.open(container), KEY)) {
            assertThatThrownBy(() -> reader.readChunk(0)).isInstanceOf(ChunkIntegrityException.class);
            assertThatThrownBy(() -> reader.readChunk(1)).isInstanceOf(ChunkIntegrityException.class);
        }
    }

    @ParameterizedTest
    @MethodSource("bothCiphers")
    void swappedChunksAreDetected(ImageOptions options) throws Exception {
        Random random = new Random(3);
        Path container = Containers.write(dir, Containers.randomBytes(random, 2 * CHUNK), options, random);
        byte[] bytes = Files.readAllBytes(container);
        int sealed = CHUNK + options.cipher().overhead();
        byte[] first = java.util.Arrays.copyOfRange(bytes, ImageHeader.SIZE, ImageHeader.SIZE + sealed);
        System.arraycopy(bytes, ImageHeader.SIZE + sealed, bytes, ImageHeader.SIZE, sealed);
        System.arraycopy(first, 0, bytes, ImageHeader.SIZE + sealed, sealed);
        Files.write(container, bytes);

        try (RootImageReader reader = RootImageReader.open(FileChunkSource.open(container), options.key())) {
            assertThatThrownBy(() -> reader.readChunk(0)).isInstanceOf(ChunkIntegrityException.class);
            assertThatThrownBy(() -> reader.readChunk(1)).isInstanceOf(ChunkIntegrityException.class);
        }
    }

    @ParameterizedTest
    @MethodSource("bothCiphers")
    void truncatedContainerIsRejectedOnOpen(ImageOptions options) throws Exception {
        Random random = new Random(4);
        Path container = Containers.write(dir, Containers.randomBytes(random, SIZE), options, random);
        long full = Files.size(container);
        try (FileChannel channel = FileChannel.open(container, StandardOpenOption.WRITE)) {
            channel.truncate(full - 1);
        }

        assertThatThrownBy(() -> RootImageReader.open(FileChunkSource.open(container), options.key()))
                .isInstanceOf(ImageFormatException.class)
                .hasMessage("root image is truncated: " + (full - 1) + " of " + full + " bytes present");
    }

    @Test
    void containerShorterThanItsHeaderIsNotAnImage() throws Exception {
        Path stub = Files.write(dir.resolve("stub.img"), "TETHRIMG".getBytes());

        assertThatThrownBy(() -> RootImageReader.open(FileChunkSource.open(stub), KEY))
                .isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("shorter than the 128-byte header");
    }

    @Test
    void shortChunkFromASourceNamesTheChunk() throws Exception {
        Random random = new Random(5);
        ImageOptions options = ImageOptions.encrypted(KEY).withChunkSize(CHUNK);
        Path container = Containers.write(dir, Containers.randomBytes(random, SIZE), options, random);
        FileChunkSource file = FileChunkSource.open(container);
        ChunkSource cutShort = new ChunkSource() {
            @Override
            public ByteBuffer readHeader() throws IOException {
                return file.readHeader();
            }

            @Override
            public ByteBuffer readChunk(ChunkLocation location) throws IOException {
                ByteBuffer whole = file.readChunk(location);
                return location.index() == 2 ? whole.limit(whole.limit() - 10) : whole;
            }
        };

        try (RootImageReader reader = RootImageReader.open(cutShort, KEY)) {
            assertThat(reader.readChunk(1).remaining()).isEqualTo(CHUNK);
            assertThatThrownBy(() -> reader.readChunk(2))
                    .isInstanceOfSatisfying(ChunkIntegrityException.class, e -> assertThat(e.chunkIndex()).isEqualTo(2))
                    .hasMessageContaining("truncated");
        } finally {
            file.close();
        }
    }

    @Test
    void trailingBytesAreRejected() throws Exception {
        Random random = new Random(6);
        Path container = Containers.write(dir, Containers.randomBytes(random, CHUNK), ImageOptions.unencrypted()
                .withChunkSize(CHUNK), random);
        Files.write(container, new byte[] {0}, StandardOpenOption.APPEND);

        assertThatThrownBy(() -> RootImageReader.open(FileChunkSource.open(container), null))
                .isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("1 unexpected bytes after its last chunk");
    }

    @Test
    void wrongKeyIsNamedBeforeAnyDecryption() throws Exception {
        Random random = new Random(7);
        Path container = Containers.write(dir, Containers.randomBytes(random, CHUNK),
                ImageOptions.encrypted(KEY).withChunkSize(CHUNK), random);
        ImageKey other = ImageKey.generate(new SecureRandom());

        assertThatThrownBy(() -> RootImageReader.open(FileChunkSource.open(container), other))
                .isInstanceOfSatisfying(KeyMismatchException.class, e -> {
                    assertThat(e.imageKeyId()).isEqualTo(KEY.keyIdHex());
                    assertThat(e.givenKeyId()).isEqualTo(other.keyIdHex());
                })
                .hasMessage("wrong key: the root image was sealed with key id " + KEY.keyIdHex()
                        + " but the key given has id " + other.keyIdHex());
    }

    @Test
    void encryptedImageWithoutAKeySaysSo() throws Exception {
        Random random = new Random(8);
        Path container = Containers.write(dir, Containers.randomBytes(random, 10),
                ImageOptions.encrypted(KEY).withChunkSize(CHUNK), random);

        assertThatThrownBy(() -> RootImageReader.open(FileChunkSource.open(container), null))
                .isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("encrypted (key id " + KEY.keyIdHex() + "); a key is needed");
    }
}
