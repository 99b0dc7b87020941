package dev.tether.content.store;

import java.util.HexFormat;

/**
 * A sha256 content address. Parsing is strict (exactly 64 lowercase hex characters) because the hex
 * string becomes a file name: nothing that could carry a path separator or a dot ever reaches the
 * file system.
 */
public record Digest(String hex) {

    public static final String PREFIX = "sha256:";

    public Digest {
        if (!isHex64(hex)) {
            throw new IllegalArgumentException("not a sha256 digest: expected 64 lowercase hex characters");
        }
    }

    /** Parses the bare 64-character hex form used in URLs, or returns null. */
    public static Digest ofHexOrNull(String hex) {
        return isHex64(hex) ? new Digest(hex) : null;
    }

    /** Parses {@code sha256:<hex>}, as written in manifests and configuration. */
    public static Digest parse(String text) {
        if (text == null || !text.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not a digest: expected sha256:<64 lowercase hex characters>");
        }
        return new Digest(text.substring(PREFIX.length()));
    }

    public static Digest of(byte[] sha256) {
        return new Digest(HexFormat.of().formatHex(sha256));
    }

    /** The strong entity tag: the content never changes for a given digest. */
    public String etag() {
        return "\"" + PREFIX + hex + "\"";
    }

    @Override
    public String toString() {
        return PREFIX + hex;
    }

    private static boolean isHex64(String s) {
        if (s == null || s.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }
}
