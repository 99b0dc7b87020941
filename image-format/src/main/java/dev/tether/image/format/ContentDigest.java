package dev.tether.image.format;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Content addresses as every part of Tether writes them: {@code sha256:<64 lowercase hex>}. */
public final class ContentDigest {
    public static final String PREFIX = "sha256:";
    private static final Pattern FORMAT = Pattern.compile("sha256:[0-9a-f]{64}");

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
        return digest != null && FORMAT.matcher(digest).matches();
    }

    /** The 64 hex digits of a {@code sha256:<hex>} digest. */
    public static String hex(String digest) {
        if (!isValid(digest)) {
            throw new IllegalArgumentException("not a sha256:<64 lowercase hex> digest: " + digest);
        }
        return digest.substring(PREFIX.length());
    }

    /** {@code sha256:} and the first 12 hex digits, then "...": enough to tell builds apart on a console line. */
    public static String shortForm(String digest) {
        return digest.substring(0, PREFIX.length() + 12) + "...";
    }
}
