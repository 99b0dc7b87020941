package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.ImageOptions;
import dev.tether.image.format.RootImageWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AES-GCM warm-up, tethered or untethered: it costs more CPU than it saves with small chunks (the JIT compiles their
 * path by itself), so it runs only for large ones.
 */
class ChunkOpenerWarmUpTest {
    @TempDir
    Path temp;

    @Test
    void smallChunksAreNotWarmedUp() throws Exception {
        assertThat(opener(ImageHeader.DEFAULT_CHUNK_SIZE, true).warmUpForLargeChunks()).isFalse();
        assertThat(opener(ChunkOpener.LARGE_CHUNK_BYTES / 2, true).warmUpForLargeChunks()).isFalse();
    }

    @Test
    void largeEncryptedChunksAreWarmedUp() throws Exception {
        assertThat(opener(ChunkOpener.LARGE_CHUNK_BYTES, true).warmUpForLargeChunks()).isTrue();
        assertThat(opener(1 << 20, true).warmUpForLargeChunks()).isTrue();
    }

    @Test
    void anUnencryptedImageHasNoDecryptionToWarmUp() throws Exception {
        assertThat(opener(1 << 20, false).warmUpForLargeChunks()).isFalse();
    }

    private ChunkOpener opener(int chunkSize, boolean encrypted) throws Exception {
        Path plain = temp.resolve("plain-" + chunkSize);
        byte[] bytes = new byte[2 * chunkSize + 100];
        new Random(chunkSize).nextBytes(bytes);
        Files.write(plain, bytes);
        ImageKey key = encrypted ? ImageKey.generate(new SecureRandom()) : null;
        ImageOptions options = (encrypted ? ImageOptions.encrypted(key) : ImageOptions.unencrypted()).withChunkSize(chunkSize);
        ImageHeader header = RootImageWriter.writeFile(plain, temp.resolve("image-" + chunkSize + (encrypted ? "-e" : "")),
                options);
        return new ChunkOpener(header, key);
    }
}
