package dev.tether.image.format;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a manifest pins about its root image container, so that a reader holds whatever an edge serves to it.
 * Chunks are only as trustworthy as the header they are checked against: an edge that serves a header of its
 * own (an unencrypted one, another key's, another chunk size) would have its own chunks verify. The manifest
 * is named by an authenticated digest, so its pins are what the node may trust; the header digest alone fixes
 * the whole header, the other fields are there to say what differs in words a console line can carry. With the
 * pinned header the AEAD tags bind every chunk of an encrypted image; the chunks of an unencrypted one carry plain
 * hashes, so the manifest pins each of those too.
 *
 * @param containerDigest {@code sha256:<hex>} of the whole container
 * @param containerSize   bytes of the whole container
 * @param headerDigest    {@code sha256:<hex>} of the container's {@value ImageHeader#SIZE} header bytes
 * @param keyId           the key id in hex, or the empty string for an unencrypted image
 * @param plaintextSize   bytes of the squashfs the container holds
 * @param chunkHashes     for an unencrypted container, the hash of every chunk, whose own hashes anyone could compute
 *     for chunks of their own; null for an encrypted one, whose chunks the header binds by their AEAD tags
 */
public record RootImagePin(String containerDigest, long containerSize, String headerDigest, ImageCipher cipher,
        String keyId, int chunkSize, long plaintextSize, ChunkHashes chunkHashes) {

    public RootImagePin {
        if (cipher.encrypted() == (chunkHashes != null)) {
            throw new IllegalArgumentException(cipher.encrypted() ? "an encrypted image's chunks are bound by their tags,"
                    + " not pinned hashes" : "an unencrypted image is pinned only with the hash of every chunk");
        }
    }

    /** The pins of an encrypted container. */
    public RootImagePin(String containerDigest, long containerSize, String headerDigest, ImageCipher cipher,
            String keyId, int chunkSize, long plaintextSize) {
        this(containerDigest, containerSize, headerDigest, cipher, keyId, chunkSize, plaintextSize, null);
    }

    /**
     * The pins of a manifest's root image.
     *
     * @throws ImageFormatException when the manifest does not pin them all: built by an imgutil from before the
     *     pins, to be rebuilt, since booting it would mean trusting the edges' header
     */
    public static RootImagePin of(Manifest manifest) throws ImageFormatException {
        Manifest.Encryption sealing = manifest.encryption();
        Manifest.Artifact squashfs = manifest.squashfs();
        List<String> missing = new ArrayList<>();
        if (sealing == null) {
            missing.add("encryption");
        } else {
            if (!ContentDigest.isValid(sealing.headerDigest())) {
                missing.add("encryption.headerDigest");
            }
            if (sealing.chunkSize() <= 0) {
                missing.add("encryption.chunkSize");
            }
        }
        if (squashfs == null || squashfs.size() < 0) {
            missing.add("squashfs.size");
        }
        if (!missing.isEmpty()) {
            throw new ImageFormatException("its manifest (built by " + (manifest.builder() == null ? "an unknown builder"
                    : manifest.builder()) + ") does not pin the root image's header (no " + String.join(", ", missing)
                    + "), so the edges' copy could not be checked; rebuild the image with this version of imgutil");
        }
        ImageCipher cipher = ImageCipher.fromDisplayName(sealing.cipher()).orElseThrow(() -> new ImageFormatException(
                "its manifest names the cipher '" + sealing.cipher() + "', which this reader does not know"));
        String keyId = sealing.keyId() == null ? "" : sealing.keyId().toLowerCase(Locale.ROOT);
        if (cipher.encrypted() != !keyId.isEmpty()) {
            throw new ImageFormatException("its manifest names the cipher " + cipher.displayName()
                    + (keyId.isEmpty() ? " without a key id" : " with a key id"));
        }
        return new RootImagePin(manifest.rootImage().digest(), manifest.rootImage().size(), sealing.headerDigest(),
                cipher, keyId, sealing.chunkSize(), squashfs.size(), cipher.encrypted() ? null : chunkHashes(manifest));
    }

    /**
     * The chunk hashes of an unencrypted image's manifest: with the header alone, an edge could serve the pinned
     * header and chunks of its own, each with the hash it computed for it.
     */
    private static ChunkHashes chunkHashes(Manifest manifest) throws ImageFormatException {
        Manifest.Encryption sealing = manifest.encryption();
        if (sealing.chunkHashes() == null) {
            throw new ImageFormatException("its manifest (built by " + (manifest.builder() == null ? "an unknown builder"
                    : manifest.builder()) + ") does not pin the chunks of its unencrypted root image (no"
                    + " encryption.chunkHashes), so an edge could serve chunks of its own with hashes it computed for"
                    + " them; rebuild the image with this version of imgutil");
        }
        long chunks = ImageHeader.chunkCount(manifest.squashfs().size(), sealing.chunkSize());
        if (sealing.chunkCount() != chunks) {
            throw new ImageFormatException("its manifest counts " + sealing.chunkCount() + " chunks where "
                    + manifest.squashfs().size() + " bytes in chunks of " + sealing.chunkSize() + " make " + chunks);
        }
        return ChunkHashes.decode(sealing.chunkHashes(), chunks);
    }

    /** The header digest a manifest pins: {@code sha256:<hex>} of the header bytes as written. */
    public static String headerDigest(ImageHeader header) {
        return ContentDigest.of(header.encoded());
    }

    /**
     * How {@code header} differs from the pins, one phrase each ("cipher NONE+SHA-256 where the manifest pins
     * AES-256-GCM"); empty when it is the pinned header.
     */
    public List<String> differences(ImageHeader header) {
        List<String> differences = new ArrayList<>();
        if (header.cipher() != cipher) {
            differences.add("cipher " + header.cipher().displayName() + " where the manifest pins " + cipher.displayName());
        }
        if (!header.keyIdHex().equals(keyId)) {
            differences.add("key id " + shown(header.keyIdHex()) + " where the manifest pins " + shown(keyId));
        }
        if (header.chunkSize() != chunkSize) {
            differences.add("chunk size " + header.chunkSize() + " where the manifest pins " + chunkSize);
        }
        if (header.plaintextSize() != plaintextSize) {
            differences.add("plaintext size " + header.plaintextSize() + " where the manifest pins " + plaintextSize);
        }
        String digest = headerDigest(header);
        if (!digest.equals(headerDigest)) {
            // Alone, this is another salt: a header of another build with the same settings.
            differences.add("header digest " + ContentDigest.shortForm(digest) + " where the manifest pins "
                    + ContentDigest.shortForm(headerDigest));
        }
        return differences;
    }

    private static String shown(String keyId) {
        return keyId.isEmpty() ? "(none)" : keyId;
    }
}
