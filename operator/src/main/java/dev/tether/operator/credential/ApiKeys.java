package dev.tether.operator.credential;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Node API keys: 256 random bits, given to the node once and stored only as a salted SHA-256. The
 * key's own entropy is what protects it, so a fast hash is enough; the salt keeps equal keys from
 * having equal hashes, and comparison is in constant time.
 */
public final class ApiKeys {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();

    private ApiKeys() {}

    /** A stored key: salt and hash, both base64. */
    public record Hashed(String salt, String hash) {}

    public static String newKey() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return "tk_" + URL.encodeToString(key);
    }

    public static Hashed hash(String key) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return new Hashed(Base64.getEncoder().encodeToString(salt), Base64.getEncoder().encodeToString(digest(salt, key)));
    }

    public static boolean matches(String candidate, Hashed stored) {
        if (candidate == null || stored == null) {
            return false;
        }
        byte[] salt = Base64.getDecoder().decode(stored.salt());
        return MessageDigest.isEqual(digest(salt, candidate), Base64.getDecoder().decode(stored.hash()));
    }

    private static byte[] digest(byte[] salt, String key) {
        try {
            var sha = MessageDigest.getInstance("SHA-256");
            sha.update(salt);
            return sha.digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
