package dev.tether.image.format;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A 256-bit image key. Its {@link #keyId()} names it in headers, manifests and logs; the key bytes never
 * appear in {@link #toString()}.
 */
public final class ImageKey {
    public static final int LENGTH = 32;
    public static final int KEY_ID_LENGTH = 16;

    /** Domain separation, so the key id is not a plain hash of the key that could collide with other uses. */
    private static final byte[] KEY_ID_LABEL = "tether.dev root image key id v1\0".getBytes(StandardCharsets.US_ASCII);

    private final byte[] bytes;
    private final byte[] keyId;

    private ImageKey(byte[] bytes) {
        this.bytes = bytes;
        this.keyId = computeKeyId(bytes);
    }

    public static ImageKey of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("an image key is " + LENGTH + " bytes, not " + bytes.length);
        }
        return new ImageKey(bytes.clone());
    }

    public static ImageKey generate(SecureRandom random) {
        byte[] bytes = new byte[LENGTH];
        random.nextBytes(bytes);
        return new ImageKey(bytes);
    }

    /** A copy of the key bytes; callers should clear it when done. */
    public byte[] bytes() {
        return bytes.clone();
    }

    byte[] rawBytes() {
        return bytes;
    }

    /** The first {@value #KEY_ID_LENGTH} bytes of a labelled SHA-256 of the key. */
    public byte[] keyId() {
        return keyId.clone();
    }

    public String keyIdHex() {
        return HexFormat.of().formatHex(keyId);
    }

    @Override
    public String toString() {
        return "ImageKey[id=" + keyIdHex() + "]";
    }

    private static byte[] computeKeyId(byte[] key) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(KEY_ID_LABEL);
            sha256.update(key);
            return Arrays.copyOf(sha256.digest(), KEY_ID_LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java runtime has no SHA-256", e);
        }
    }
}
