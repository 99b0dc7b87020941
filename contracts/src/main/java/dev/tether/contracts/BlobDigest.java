package dev.tether.contracts;

import java.util.HexFormat;

/**
 * A blob's content address, {@code sha256:<64 lowercase hex>}: how manifests, statuses, the edges' boot
 * configuration and URLs name kernels, initramfs images, root images and manifests. Parsing is strict because
 * the hex becomes a file name on the content servers and a path in every URL: nothing that could carry a path
 * separator, a dot or a space gets through.
 */
public record BlobDigest(String hex) {
    public static final String PREFIX = "sha256:";
    /** Where every content server serves a blob: {@code /blobs/sha256/<hex>}. */
    public static final String PATH_PREFIX = "/blobs/sha256/";
    /** Hex digits in the short form (as {@code kubectl get} shows and consoles print). */
    public static final int SHORT_LENGTH = 12;

    public BlobDigest {
        if (!isHex64(hex)) {
            throw new IllegalArgumentException("not a sha256 digest: expected 64 lowercase hex characters");
        }
    }

    /** Parses {@code sha256:<hex>}, as written in manifests, statuses and configuration. */
    public static BlobDigest parse(String text) {
        if (text == null || !text.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not a digest: expected sha256:<64 lowercase hex characters>");
        }
        return new BlobDigest(text.substring(PREFIX.length()));
    }

    /** True when {@code text} is {@code sha256:<64 lowercase hex>}. */
    public static boolean isValid(String text) {
        return text != null && text.startsWith(PREFIX) && isHex64(text.substring(PREFIX.length()));
    }

    /** The bare 64-character hex form used in URLs and file names, or null when it is not one. */
    public static BlobDigest ofHexOrNull(String hex) {
        return isHex64(hex) ? new BlobDigest(hex) : null;
    }

    /** The digest of a finished SHA-256 computation's 32 bytes. */
    public static BlobDigest ofSha256(byte[] sha256) {
        if (sha256.length != 32) {
            throw new IllegalArgumentException("a SHA-256 digest has 32 bytes, not " + sha256.length);
        }
        return new BlobDigest(HexFormat.of().formatHex(sha256));
    }

    /** The path of this blob on an origin or an edge, {@code /blobs/sha256/<hex>}. */
    public String path() {
        return PATH_PREFIX + hex;
    }

    /** The first {@value #SHORT_LENGTH} hex digits: enough to tell versions apart on a console line or in a column. */
    public String shortForm() {
        return hex.substring(0, SHORT_LENGTH);
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
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }
}
