package dev.tether.origin;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key that signs and checks {@link UploadGrant}s. It is derived from the origin's own token, which only the
 * operator (in its namespace's Secret) and the origin hold, so no second secret has to be made, mounted or
 * rotated; and a grant reveals nothing of that token (HMAC-SHA256 under a label of its own).
 */
public final class GrantKey {
    private static final String ALGORITHM = "HmacSHA256";
    private static final byte[] LABEL = "tether origin upload grant key v1".getBytes(StandardCharsets.UTF_8);

    private final SecretKeySpec key;

    private GrantKey(byte[] key) {
        this.key = new SecretKeySpec(key, ALGORITHM);
    }

    public static GrantKey derivedFrom(String originToken) {
        if (originToken == null || originToken.isEmpty()) {
            throw new IllegalArgumentException("the origin token is empty; no grant key can be derived from it");
        }
        return new GrantKey(hmac(new SecretKeySpec(originToken.getBytes(StandardCharsets.UTF_8), ALGORITHM), LABEL));
    }

    byte[] sign(String data) {
        return hmac(key, data.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] hmac(SecretKeySpec key, byte[] data) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no " + ALGORITHM, e);
        }
    }

    @Override
    public String toString() {
        return "GrantKey[redacted]";
    }
}
