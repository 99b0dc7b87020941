package dev.tether.image.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A chunk opens the same from heap and direct buffers, through the sealer's own arrays (chunks up to
 * {@link ChunkSealer#ARRAY_PATH_MAX_CHUNK}) or the buffers' path (larger ones), and a damaged one writes nothing.
 */
class ChunkSealerBuffersTest {
    private static final ImageKey KEY = ImageKey.generate(new SecureRandom());

    @ParameterizedTest(name = "{0} KiB chunks, sealed {1}, plaintext {2}")
    @CsvSource({
        "16, direct, direct", "16, heap, direct", "16, direct, heap", "16, heap, heap",
        "64, direct, direct", "256, direct, direct", "256, heap, heap"})
    void aChunkOpensToItsPlaintextWhereverItsBytesAre(int chunkKib, String sealedIn, String openedIn) throws Exception {
        ImageHeader header = header(chunkKib);
        ChunkSealer sealer = new ChunkSealer(header, KEY);
        byte[] plaintext = new byte[header.plaintextLength(1)];
        new Random(chunkKib).nextBytes(plaintext);
        ByteBuffer sealed = buffer(sealedIn, header.chunkLength(1));
        sealer.seal(1, ByteBuffer.wrap(plaintext), sealed);
        sealed.flip();
        ByteBuffer opened = buffer(openedIn, header.chunkSize());

        sealer.open(1, sealed, opened);

        assertThat(sealed.hasRemaining()).as("the sealed bytes are consumed").isFalse();
        byte[] back = new byte[opened.flip().remaining()];
        opened.get(back);
        assertThat(back).isEqualTo(plaintext);
    }

    @ParameterizedTest(name = "{0} KiB chunks")
    @CsvSource({"16", "256"})
    void aDamagedChunkFailsAndWritesNoPlaintext(int chunkKib) throws Exception {
        ImageHeader header = header(chunkKib);
        ChunkSealer sealer = new ChunkSealer(header, KEY);
        ByteBuffer sealed = ByteBuffer.allocateDirect(header.chunkLength(0));
        sealer.seal(0, ByteBuffer.allocate(header.plaintextLength(0)), sealed);
        sealed.put(7, (byte) (sealed.get(7) ^ 1)).flip();
        ByteBuffer opened = ByteBuffer.allocateDirect(header.chunkSize());

        assertThatThrownBy(() -> sealer.open(0, sealed, opened))
                .isInstanceOfSatisfying(ChunkIntegrityException.class, e -> assertThat(e.chunkIndex()).isZero());
        assertThat(opened.position()).as("nothing written").isZero();
    }

    private static ImageHeader header(int chunkKib) {
        int chunk = chunkKib << 10;
        return new ImageHeader(ImageOptions.encrypted(KEY).cipher(), chunk, 3L * chunk, KEY.keyId(), new byte[32]);
    }

    private static ByteBuffer buffer(String where, int capacity) {
        return where.equals("direct") ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
    }
}
