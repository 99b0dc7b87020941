package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.image.format.ContentDigest;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Pieces that arrive out of order hash to the digest of the bytes in order. */
class ContainerDigestTest {
    @Test
    void piecesOutOfOrderHashAsTheWhole() throws Exception {
        byte[] whole = new byte[10_000];
        new Random(3).nextBytes(whole);
        ContainerDigest digest = new ContainerDigest(whole.length);
        int[][] pieces = {{6000, 10_000}, {128, 6000}, {0, 128}};
        for (int[] piece : pieces) {
            assertThat(digest.add(piece[0], ByteBuffer.wrap(Arrays.copyOfRange(whole, piece[0], piece[1])))).isTrue();
        }
        assertThat(digest.hashedBytes()).isEqualTo(whole.length);
        assertThat(digest.digest()).isEqualTo(ContentDigest.of(whole));
    }

    @Test
    void anAbandonedDigestTakesNoMore() throws Exception {
        ContainerDigest digest = new ContainerDigest(0);
        digest.abandon();
        // Ahead of the next piece and over the bound: without the abandon this would wait for the piece before it.
        assertThat(digest.add(100, ByteBuffer.allocate(10))).isFalse();
    }
}
