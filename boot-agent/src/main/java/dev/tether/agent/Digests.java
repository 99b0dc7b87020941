package dev.tether.agent;

import java.util.regex.Pattern;

/** Content digests as the contract writes them: {@code sha256:<64 lowercase hex>}. */
final class Digests {
    private static final Pattern SHA256 = Pattern.compile("sha256:[0-9a-f]{64}");

    private Digests() {
    }

    static String requireSha256(String key, String value) {
        if (!SHA256.matcher(value).matches()) {
            throw new IllegalArgumentException(key + "=" + value + " is not a digest; expected sha256: and 64 lowercase hex digits");
        }
        return value;
    }

    static String hex(String digest) {
        return digest.substring("sha256:".length());
    }
}
