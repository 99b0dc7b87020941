package dev.tether.image.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RoundTripTest {
    private static final int CHUNK = ImageHeader.MIN_CHUNK_SIZE;
    private static final ImageKey KEY = ImageKey.generate(new SecureRandom());

    @TempDir
    Path dir;

    static Stream<Arguments> boundarySizes() {
        List<Arguments> cases = new ArrayList<>();
        for (ImageOptions options : List.of(ImageOptions.encrypted(KEY).withChunkSize(CHUNK),
                ImageOptions.unencrypted().withChunkSize(CHUNK))) {
            for (int size : new int[] {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17}) {
                cases.add(Arguments.of(options, size));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}, {1} bytes")
    @MethodSource("boundarySizes")
    void plaintextComesBackExactlyAtChunkBoundaries(ImageOptions options, int size) throws Exception {
        Random random = new Random(size);
        byte[] plaintext = Containers.randomBytes(random, size);

        Path container = Containers.write(dir, plaintext, options, random);

        ImageHeader header;
        try (FileChunkSource source = FileChunkSource.open(container)) {
            header = RootImageReader.readHeader(source);
        }
        assertThat(header.chunkCount()).isEqualTo((size + CHUNK - 1) / CHUNK);
        assertThat(Files.size(container)).isEqualTo(header.containerSize());
        assertThat(Containers.readAll(container, options.key())).isEqualTo(plaintext);
    }

    @Test
    void randomSizesChunkSizesAndReadsAgree() throws Exception {
        Random random = new Random(20240611L);
        for (int round = 0; round < 40; round++) {
            int chunkSize = CHUNK << random.nextInt(3);
            int size = random.nextInt(6 * chunkSize);
            ImageOptions options = (random.nextBoolean() ? ImageOptions.encrypted(KEY) : ImageOptions.unencrypted())
                    .withChunkSize(chunkSize);
            byte[] plaintext = Containers.randomBytes(random, size);
            Path container = Containers.write(dir, plaintext, options, random);

            try (RootImageReader reader = RootImageReader.open(FileChunkSource.open(container), options.key())) {
                assertThat(reader.size()).isEqualTo(size);
                for (int read = 0; read < 25 && size > 0; read++) {
                    int position = random.nextInt(size);
                    ByteBuffer dst = ByteBuffer.allocate(1 + random.nextInt(2 * chunkSize));
                    int copied = reader.read(position, dst);
                    int expected = Math.min(dst.capacity(), size - position);
                    assertThat(copied).as("round %d read at %d", round, position).isEqualTo(expected);
                    assertThat(Arrays.copyOf(dst.array(), copied))
                            .isEqualTo(Arrays.copyOfRange(plaintext, position, position + copied));
                }
                assertThat(reader.read(size, ByteBuffer.allocate(1))).isEqualTo(-1);
            }
            Files.delete(container);
        }
    }

    @Test
    void transferToStreamsTheWholePlaintext() throws Exception {
        Random random = new Random(7);
        byte[] plaintext = Containers.randomBytes(random, 5 * CHUNK + 123);
        Path container = Containers.write(dir, plaintext, ImageOptions.encrypted(KEY).withChunkSize(CHUNK), random);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (RootImageReader reader = RootImageReader.open(FileChunkSource.open(container), KEY)) {
            reader.transferTo(Channels.newChannel(out));
        }
        assertThat(out.toByteArray()).isEqualTo(plaintext);
    }

    @Test
    void writeFileSealsAFileAndReportsItsHeader() throws Exception {
        byte[] plaintext = Containers.randomBytes(new Random(3), 2 * CHUNK + 5);
        Path plain = Files.write(dir.resolve("root.squashfs"), plaintext);

        ImageHeader header = RootImageWriter.writeFile(plain, dir.resolve("root.img"),
                ImageOptions.encrypted(KEY).withChunkSize(CHUNK));

        assertThat(header.plaintextSize()).isEqualTo(plaintext.length);
        assertThat(header.keyIdHex()).isEqualTo(KEY.keyIdHex());
        assertThat(Containers.readAll(dir.resolve("root.img"), KEY)).isEqualTo(plaintext);
    }

    @Test
    void concurrentReadersSeeTheSamePlaintext() throws Exception {
        Random random = new Random(11);
        byte[] plaintext = Containers.randomBytes(random, 9 * CHUNK + 999);
        Path container = Containers.write(dir, plaintext, ImageOptions.encrypted(KEY).withChunkSize(CHUNK), random);

        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (RootImageReader reader = RootImageReader.open(FileChunkSource.open(container), KEY)) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int task = 0; task < 16; task++) {
                long seed = task;
                results.add(pool.submit(() -> {
                    Random local = new Random(seed);
                    for (int i = 0; i < 50; i++) {
                        int position = local.nextInt(plaintext.length);
                        ByteBuffer dst = ByteBuffer.allocate(1 + local.nextInt(3000));
                        int copied = reader.read(position, dst);
                        if (!Arrays.equals(dst.array(), 0, copied, plaintext, position, position + copied)) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get()).isTrue();
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void sameKeyAndPlaintextStillGiveDifferentContainers() throws Exception {
        byte[] plaintext = Containers.randomBytes(new Random(5), CHUNK);
        ImageOptions options = ImageOptions.encrypted(KEY).withChunkSize(CHUNK);

        byte[] first = Files.readAllBytes(Containers.write(dir, plaintext, options, new Random(1)));
        byte[] second = Files.readAllBytes(Containers.write(dir, plaintext, options, new Random(1)));

        assertThat(first).isNotEqualTo(second);
        assertThat(Arrays.copyOfRange(first, ImageHeader.SIZE, ImageHeader.SIZE + CHUNK))
                .as("ciphertext must not contain the plaintext")
                .isNotEqualTo(plaintext);
    }
}
