package dev.tether.image.format;

import dev.tether.contracts.BlobDigest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Content addresses computed, as every part of Tether writes them: {@code sha256:<64 lowercase hex>}; the form itself
 * is the contracts module's {@link BlobDigest}.
 */
public final class ContentDigest {
    public static final String PREFIX = BlobDigest.PREFIX;

    private ContentDigest() {
    }

    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java runtime has no SHA-256", e);
        }
    }

    /** {@code sha256:<hex>} of a finished digest. */
    public static String format(MessageDigest sha256) {
        return PREFIX + HexFormat.of().formatHex(sha256.digest());
    }

    public static String of(byte[] bytes) {
        MessageDigest sha256 = newSha256();
        sha256.update(bytes);
        return format(sha256);
    }

    public static String ofFile(Path file) throws IOException {
        MessageDigest sha256 = newSha256();
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int read; (read = in.read(buffer)) >= 0; ) {
                sha256.update(buffer, 0, read);
            }
        }
        return format(sha256);
    }

    public static boolean isValid(String digest) {
        return BlobDigest.isValid(digest);
    }

    /** The 64 hex digits of a {@code sha256:<hex>} digest. */
    public static String hex(String digest) {
        if (!isValid(digest)) {
            throw new IllegalArgumentException("not a sha256:<64 lowercase hex> digest: " + digest);
        }
        return BlobDigest.parse(digest).hex();
    }

    /** The first 12 hex digits ({@link BlobDigest#shortForm()}), as consoles print and {@code kubectl get} shows. */
    public static String shortForm(String digest) {
        return BlobDigest.parse(digest).shortForm();
    }
}
