package dev.tether.agent;

import dev.tether.contracts.BlobDigest;

/** A digest given to the agent (command line, addon, boot configuration) held to the contract's form. */
final class Digests {
    private Digests() {
    }

    /** {@code value} when it is {@code sha256:<64 lowercase hex>}; else an error naming {@code key}. */
    static String requireSha256(String key, String value) {
        if (!BlobDigest.isValid(value)) {
            throw new IllegalArgumentException(key + "=" + value + " is not a digest; expected sha256: and 64 lowercase hex digits");
        }
        return value;
    }
}
