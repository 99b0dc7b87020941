package dev.tether.image.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

/** The manifest pins the root image's header; a header that is not the pinned one is told apart, field by field. */
class RootImagePinTest {
    private static final String D = "sha256:" + "ab".repeat(32);
    private static final ImageKey KEY = ImageKey.generate(new SecureRandom());
    private static final int SIZE = 3 * ImageHeader.MIN_CHUNK_SIZE + 1000;

    @Test
    void theManifestOfAPackedContainerPinsItsHeader() throws Exception {
        Written real = write(ImageOptions.encrypted(KEY).withChunkSize(ImageHeader.MIN_CHUNK_SIZE));
        RootImagePin pin = RootImagePin.of(Manifest.parse(manifest(real, RootImagePin.headerDigest(real.header)).toJson()));

        assertThat(pin).isEqualTo(new RootImagePin(ContentDigest.of(real.bytes), real.bytes.length,
                ContentDigest.of(real.header.encoded()), ImageCipher.AES_256_GCM, KEY.keyIdHex(),
                ImageHeader.MIN_CHUNK_SIZE, SIZE));
        assertThat(pin.differences(real.header)).isEmpty();
    }

    @Test
    void anUnencryptedContainerInPlaceOfTheEncryptedOneIsNamedForWhatDiffers() throws Exception {
        Written real = write(ImageOptions.encrypted(KEY).withChunkSize(ImageHeader.MIN_CHUNK_SIZE));
        RootImagePin pin = RootImagePin.of(manifest(real, RootImagePin.headerDigest(real.header)));
        Written forged = write(ImageOptions.unencrypted().withChunkSize(ImageHeader.MIN_CHUNK_SIZE));

        assertThat(pin.differences(forged.header)).containsExactly(
                "cipher NONE+SHA-256 where the manifest pins AES-256-GCM",
                "key id (none) where the manifest pins " + KEY.keyIdHex(),
                "header digest " + ContentDigest.shortForm(ContentDigest.of(forged.header.encoded()))
                        + " where the manifest pins " + ContentDigest.shortForm(pin.headerDigest()));
    }

    @Test
    void anotherKeyAnotherChunkSizeOrAnotherSaltIsNotThePinnedHeader() throws Exception {
        Written real = write(ImageOptions.encrypted(KEY).withChunkSize(ImageHeader.MIN_CHUNK_SIZE));
        RootImagePin pin = RootImagePin.of(manifest(real, RootImagePin.headerDigest(real.header)));
        ImageKey other = ImageKey.generate(new SecureRandom());

        assertThat(pin.differences(write(ImageOptions.encrypted(other).withChunkSize(ImageHeader.MIN_CHUNK_SIZE)).header))
                .startsWith("key id " + other.keyIdHex() + " where the manifest pins " + KEY.keyIdHex());
        assertThat(pin.differences(write(ImageOptions.encrypted(KEY).withChunkSize(2 * ImageHeader.MIN_CHUNK_SIZE)).header))
                .startsWith("chunk size " + 2 * ImageHeader.MIN_CHUNK_SIZE + " where the manifest pins " + ImageHeader.MIN_CHUNK_SIZE);
        // Same key, same settings, another pack: only the salt differs, and the header digest says so.
        assertThat(pin.differences(write(ImageOptions.encrypted(KEY).withChunkSize(ImageHeader.MIN_CHUNK_SIZE)).header))
                .singleElement().asString().startsWith("header digest ");
    }

    @Test
    void aManifestWithoutThePinsIsReadButNotTrustedForTheHeader() throws Exception {
        Written real = write(ImageOptions.encrypted(KEY).withChunkSize(ImageHeader.MIN_CHUNK_SIZE));
        Manifest old = Manifest.parse(manifest(real, null).toJson());

        assertThat(old.rootImage().digest()).isEqualTo(ContentDigest.of(real.bytes));
        assertThatThrownBy(() -> RootImagePin.of(old))
                .isInstanceOf(ImageFormatException.class)
                .hasMessage("its manifest (built by imgutil 0.1.0) does not pin the root image's header (no"
                        + " encryption.headerDigest), so the edges' copy could not be checked; rebuild the image with"
                        + " this version of imgutil");
    }

    private record Written(ImageHeader header, byte[] bytes) {
    }

    private static Written write(ImageOptions options) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RootImageWriter writer = RootImageWriter.start(Channels.newChannel(out), SIZE, options);
        writer.write(new byte[SIZE], 0, SIZE);
        writer.close();
        return new Written(writer.header(), out.toByteArray());
    }

    private static Manifest manifest(Written container, String headerDigest) {
        ImageHeader header = container.header;
        return new Manifest(1, "imgutil 0.1.0", "2025-01-01T00:00:00Z", "debian", "bookworm", "amd64",
                "6.1.0-28-amd64", "zstd", new Manifest.Artifact("vmlinuz", D, 1), new Manifest.Artifact("initrd.img", D, 2),
                new Manifest.Artifact("root.img", ContentDigest.of(container.bytes), container.bytes.length),
                new Manifest.Artifact(null, D, SIZE), new Manifest.Encryption(header.cipher().displayName(),
                        header.cipher().encrypted() ? header.keyIdHex() : null, header.chunkSize(), header.chunkCount(),
                        headerDigest));
    }
}
