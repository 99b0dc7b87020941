package dev.tether.image.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.Arrays;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The manifest of an unencrypted image pins the hash of every chunk: written as the writer seals them, read back
 * into the pins, and every chunk held to them; and an image too large for its manifest to carry them is known.
 */
class ChunkHashesTest {
    private static final String D = "sha256:" + "ab".repeat(32);
    private static final int CHUNK = ImageHeader.MIN_CHUNK_SIZE;
    private static final int SIZE = 3 * CHUNK + 1000;

    @Test
    void theWriterCollectsTheHashesItsChunksCarryAndTheManifestPinsThem() throws Exception {
        Written written = write(ImageOptions.unencrypted().withChunkSize(CHUNK));
        ChunkHashes hashes = written.hashes;

        assertThat(hashes.count()).isEqualTo(4).isEqualTo(written.header.chunkCount());
        for (long index = 0; index < hashes.count(); index++) {
            assertThat(hashes.matches(index, carried(written, index))).as("chunk %d", index).isTrue();
        }
        Manifest manifest = Manifest.parse(manifest(written, hashes.base64()).toJson());
        assertThat(manifest.encryption().chunkHashes()).isEqualTo(hashes.base64());
        RootImagePin pin = RootImagePin.of(manifest);
        assertThat(pin.chunkHashes()).isEqualTo(hashes);
        assertThat(pin.differences(written.header)).isEmpty();
    }

    @Test
    void anEncryptedImageHasNoChunkHashesItsTagsBindItsChunks() throws Exception {
        Written written = write(ImageOptions.encrypted(ImageKey.generate(new java.security.SecureRandom()))
                .withChunkSize(CHUNK));
        assertThat(written.hashes).isNull();
        assertThat(RootImagePin.of(manifest(written, null)).chunkHashes()).isNull();
        assertThat(new String(manifest(written, null).toJson())).doesNotContain("chunkHashes");
    }

    @Test
    void aManifestOfAnUnencryptedImageWithoutChunkHashesIsRefused() throws Exception {
        Written written = write(ImageOptions.unencrypted().withChunkSize(CHUNK));
        Manifest old = Manifest.parse(manifest(written, null).toJson());

        assertThatThrownBy(() -> RootImagePin.of(old))
                .isInstanceOf(ImageFormatException.class)
                .hasMessage("its manifest (built by imgutil 0.1.0) does not pin the chunks of its unencrypted root image"
                        + " (no encryption.chunkHashes), so an edge could serve chunks of its own with hashes it computed"
                        + " for them; rebuild the image with this version of imgutil");
    }

    @Test
    void chunkHashesThatDoNotCountTheChunksAreRefused() throws Exception {
        Written written = write(ImageOptions.unencrypted().withChunkSize(CHUNK));
        byte[] all = Base64.getDecoder().decode(written.hashes.base64());
        String short1 = Base64.getEncoder().encodeToString(Arrays.copyOf(all, all.length - ChunkHashes.HASH_LENGTH));

        assertThatThrownBy(() -> RootImagePin.of(manifest(written, short1)))
                .isInstanceOf(ImageFormatException.class)
                .hasMessage("its manifest's encryption.chunkHashes holds 96 bytes where 4 chunks need 128");
        assertThatThrownBy(() -> RootImagePin.of(manifest(written, "not base64!")))
                .isInstanceOf(ImageFormatException.class)
                .hasMessageStartingWith("its manifest's encryption.chunkHashes is not base64");
    }

    /**
     * A chunk sealed by someone else under the pinned header carries a hash that matches its body: only the pins
     * tell it apart, and they tell it apart from a damaged chunk.
     */
    @Test
    void aChunkThatCarriesItsOwnMatchingHashIsNotThePinnedOneAndDamageStaysDamage() throws Exception {
        Written written = write(ImageOptions.unencrypted().withChunkSize(CHUNK));
        ImageHeader header = written.header;
        ByteBuffer body = ByteBuffer.allocate(CHUNK);
        body.put(0, (byte) 1);
        ByteBuffer forged = ByteBuffer.allocate(header.chunkLength(1));
        new ChunkSealer(header, null).seal(1, body, forged);

        ChunkSealer pinned = new ChunkSealer(header, null, written.hashes);
        assertThat(catchOpen(new ChunkSealer(header, null), 1, forged.flip())).as("without pins it passes").isNull();
        assertThat(catchOpen(pinned, 1, forged.rewind()))
                .isInstanceOfSatisfying(UnpinnedChunkException.class, e -> assertThat(e.chunkIndex()).isEqualTo(1))
                .hasMessageStartingWith("chunk 1 is not the one the manifest pins (its SHA-256 ")
                .hasMessageEndingWith("), though it carries a matching hash of its own");
        forged.put(7, (byte) (forged.get(7) ^ 1));
        assertThat(catchOpen(pinned, 1, forged.rewind())).isInstanceOf(ChunkIntegrityException.class);
        ByteBuffer genuine = ByteBuffer.wrap(written.bytes, (int) header.chunkOffset(1), header.chunkLength(1)).slice();
        assertThat(catchOpen(pinned, 1, genuine)).as("the pinned chunk opens").isNull();
        assertThatThrownBy(() -> new ChunkSealer(header, null, ChunkHashes.decode("", 0)))
                .hasMessage("the manifest pins 0 chunk hashes for a root image of 4 chunks");
    }

    /** 16384 hashes leave a manifest well under the agent's 1 MiB: 256 MiB of squashfs at the default 16 KiB chunks. */
    @Test
    void theMostChunksAnUnencryptedImageMayHaveKeepItsManifestWellUnderTheAgentsLimit() throws Exception {
        assertThat(ChunkHashes.maxPlaintextSize(ImageHeader.DEFAULT_CHUNK_SIZE)).isEqualTo(256L << 20);
        assertThat(ChunkHashes.maxPlaintextSize(ImageHeader.MAX_CHUNK_SIZE)).isEqualTo(256L << 30);
        byte[] hashes = new byte[ChunkHashes.MAX_CHUNKS * ChunkHashes.HASH_LENGTH];
        new Random(1).nextBytes(hashes);
        long size = ChunkHashes.maxPlaintextSize(ImageHeader.DEFAULT_CHUNK_SIZE);
        Manifest largest = new Manifest(1, "imgutil 0.1.0", "2025-01-01T00:00:00Z", "debian", "bookworm", "amd64",
                "6.1.0-28-amd64", "zstd", new Manifest.Artifact("vmlinuz", D, 1), new Manifest.Artifact("initrd.img", D, 2),
                new Manifest.Artifact("root.img", D, size + 128 + ChunkHashes.MAX_CHUNKS * 32L),
                new Manifest.Artifact(null, D, size), new Manifest.Encryption("NONE+SHA-256", null,
                        ImageHeader.DEFAULT_CHUNK_SIZE, ChunkHashes.MAX_CHUNKS, D,
                        Base64.getEncoder().encodeToString(hashes)));

        byte[] json = largest.toJson();
        assertThat(json.length).isLessThan(700 * 1024);
        assertThat(RootImagePin.of(Manifest.parse(json)).chunkHashes().count()).isEqualTo(ChunkHashes.MAX_CHUNKS);
    }

    private static Throwable catchOpen(ChunkSealer sealer, long index, ByteBuffer sealed) {
        try {
            sealer.open(index, sealed, ByteBuffer.allocate(CHUNK));
            return null;
        } catch (ImageFormatException e) {
            return e;
        }
    }

    /** The hash chunk {@code index} carries: the last bytes of its sealed form. */
    private static byte[] carried(Written written, long index) {
        int end = (int) (written.header.chunkOffset(index) + written.header.chunkLength(index));
        return Arrays.copyOfRange(written.bytes, end - ChunkHashes.HASH_LENGTH, end);
    }

    private record Written(ImageHeader header, byte[] bytes, ChunkHashes hashes) {
    }

    private static Written write(ImageOptions options) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RootImageWriter writer = RootImageWriter.start(Channels.newChannel(out), SIZE, options);
        byte[] plaintext = new byte[SIZE];
        new Random(7).nextBytes(plaintext);
        writer.write(plaintext, 0, SIZE);
        writer.close();
        return new Written(writer.header(), out.toByteArray(), writer.chunkHashes());
    }

    private static Manifest manifest(Written container, String chunkHashes) {
        ImageHeader header = container.header;
        return new Manifest(1, "imgutil 0.1.0", "2025-01-01T00:00:00Z", "debian", "bookworm", "amd64",
                "6.1.0-28-amd64", "zstd", new Manifest.Artifact("vmlinuz", D, 1), new Manifest.Artifact("initrd.img", D, 2),
                new Manifest.Artifact("root.img", ContentDigest.of(container.bytes), container.bytes.length),
                new Manifest.Artifact(null, D, SIZE), new Manifest.Encryption(header.cipher().displayName(),
                        header.cipher().encrypted() ? header.keyIdHex() : null, header.chunkSize(), header.chunkCount(),
                        RootImagePin.headerDigest(header), chunkHashes));
    }
}
