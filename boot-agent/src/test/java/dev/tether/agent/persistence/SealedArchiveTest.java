package dev.tether.agent.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The archive's seal: it opens only as the node and generation it was made for, whole and unaltered. */
class SealedArchiveTest {
    private static final byte[] KEY = new byte[32];
    private static final byte[] OTHER_KEY = new byte[32];

    static {
        new Random(1).nextBytes(KEY);
        new Random(2).nextBytes(OTHER_KEY);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, SealedArchive.CHUNK - 1, SealedArchive.CHUNK, SealedArchive.CHUNK + 1, 3 * SealedArchive.CHUNK + 17})
    void whatIsSealedOpensAsItWasForItsNodeAndGeneration(int size) throws IOException {
        byte[] plain = bytes(size);
        byte[] sealed = seal(plain, KEY, "hpc", "node-001", 7);

        assertThat(open(sealed, KEY, "hpc", "node-001", 7)).isEqualTo(plain);
        assertThat(sealed.length).isEqualTo(SealedArchive.HEADER_LENGTH + size
                + (size / SealedArchive.CHUNK + (size % SealedArchive.CHUNK == 0 && size > 0 ? 0 : 1)) * SealedArchive.TAG);
    }

    @Test
    void theCiphertextHoldsNoneOfThePlaintext() throws IOException {
        byte[] plain = "slurm state: job 4711 on node-001\n".repeat(200).getBytes();
        byte[] sealed = seal(plain, KEY, "hpc", "node-001", 1);

        assertThat(new String(sealed, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("slurm").doesNotContain("job 4711");
    }

    @Test
    void anotherNodesArchiveDoesNotOpenEvenWithTheSameKey() throws IOException {
        byte[] sealed = seal(bytes(1000), KEY, "hpc", "node-002", 3);

        assertThatThrownBy(() -> open(sealed, KEY, "hpc", "node-001", 3)).isInstanceOf(ArchiveRefusedException.class)
                .hasMessageContaining("not sealed for this node and generation");
        assertThatThrownBy(() -> open(sealed, KEY, "other", "node-002", 3)).isInstanceOf(ArchiveRefusedException.class);
        assertThatThrownBy(() -> open(sealed, OTHER_KEY, "hpc", "node-002", 3)).isInstanceOf(ArchiveRefusedException.class);
    }

    @Test
    void anOlderGenerationServedInTheNewestsPlaceIsRefused() throws IOException {
        byte[] older = seal(bytes(1000), KEY, "hpc", "node-001", 4);

        assertThatThrownBy(() -> open(older, KEY, "hpc", "node-001", 5)).isInstanceOf(ArchiveRefusedException.class)
                .hasMessageContaining("generation 4 where the operator records 5");
        // Its header rewritten to claim the newer generation: the key derived for 5 does not open chunks sealed for 4.
        byte[] relabelled = older.clone();
        java.nio.ByteBuffer.wrap(relabelled, 8, 8).putLong(5);
        assertThatThrownBy(() -> open(relabelled, KEY, "hpc", "node-001", 5)).isInstanceOf(ArchiveRefusedException.class);
    }

    @Test
    void oneAlteredByteAnywhereIsRefused() throws IOException {
        byte[] sealed = seal(bytes(3 * SealedArchive.CHUNK), KEY, "hpc", "node-001", 1);
        for (int at : new int[] {20, SealedArchive.HEADER_LENGTH + 5, SealedArchive.HEADER_LENGTH + SealedArchive.CHUNK + 30,
                sealed.length - 1}) {
            byte[] altered = sealed.clone();
            altered[at] ^= 1;
            assertThatThrownBy(() -> open(altered, KEY, "hpc", "node-001", 1)).as("byte %d", at)
                    .isInstanceOf(ArchiveRefusedException.class);
        }
    }

    @Test
    void anArchiveCutShortAtAChunkBoundaryIsRefused() throws IOException {
        byte[] sealed = seal(bytes(2 * SealedArchive.CHUNK + 100), KEY, "hpc", "node-001", 1);
        // Without its last chunk, the two before it are whole and valid; the last-chunk flag is what gives it away.
        byte[] cut = Arrays.copyOf(sealed, SealedArchive.HEADER_LENGTH + 2 * (SealedArchive.CHUNK + SealedArchive.TAG));

        assertThatThrownBy(() -> open(cut, KEY, "hpc", "node-001", 1)).isInstanceOf(ArchiveRefusedException.class);
    }

    @Test
    void swappedChunksAreRefused() throws IOException {
        byte[] sealed = seal(bytes(3 * SealedArchive.CHUNK), KEY, "hpc", "node-001", 1);
        int chunk = SealedArchive.CHUNK + SealedArchive.TAG;
        byte[] swapped = sealed.clone();
        System.arraycopy(sealed, SealedArchive.HEADER_LENGTH, swapped, SealedArchive.HEADER_LENGTH + chunk, chunk);
        System.arraycopy(sealed, SealedArchive.HEADER_LENGTH + chunk, swapped, SealedArchive.HEADER_LENGTH, chunk);

        assertThatThrownBy(() -> open(swapped, KEY, "hpc", "node-001", 1)).isInstanceOf(ArchiveRefusedException.class);
    }

    @Test
    void somethingThatIsNoArchiveAtAllIsRefused() {
        assertThatThrownBy(() -> open("<html>edge error</html>".getBytes(), KEY, "hpc", "node-001", 1))
                .isInstanceOf(ArchiveRefusedException.class).hasMessageContaining("not a Tether archive");
    }

    static byte[] seal(byte[] plain, byte[] key, String namespace, String node, long generation) throws IOException {
        var out = new ByteArrayOutputStream();
        try (OutputStream sealing = SealedArchive.seal(out, key, namespace, node, generation)) {
            // In uneven pieces, as the tar writer hands them over.
            for (int at = 0; at < plain.length; at += 1000) {
                sealing.write(plain, at, Math.min(1000, plain.length - at));
            }
        }
        return out.toByteArray();
    }

    static byte[] open(byte[] sealed, byte[] key, String namespace, String node, long generation) throws IOException {
        try (InputStream in = SealedArchive.open(new ByteArrayInputStream(sealed), key, namespace, node, generation)) {
            return in.readAllBytes();
        }
    }

    private static byte[] bytes(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }
}
