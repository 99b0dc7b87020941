package dev.tether.content.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * The upload token from a mounted Secret. Only its hash is kept, and a presented token is compared
 * by hash with {@link MessageDigest#isEqual}: constant time, and equal-length inputs, so neither
 * the content nor the length of the token leaks through timing. The token is never logged.
 */
public final class BearerToken {
    private final byte[] expectedHash;

    private BearerToken(byte[] expectedHash) {
        this.expectedHash = expectedHash;
    }

    public static BearerToken fromFile(Path file) throws IOException {
        // Secrets mounted as files often end with a newline that is not part of the token.
        String token = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (token.isEmpty()) {
            throw new IllegalArgumentException("token file " + file + " is empty");
        }
        return of(token);
    }

    public static BearerToken of(String token) {
        return new BearerToken(hash(token));
    }

    /** Checks an {@code Authorization} header value of the form {@code Bearer <token>}. */
    public boolean accepts(String authorization) {
        if (authorization == null || authorization.length() < 7
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(expectedHash, hash(authorization.substring(7).strip()));
    }

    private static byte[] hash(String token) {
        return Sha256.newDigest().digest(token.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "BearerToken[redacted]";
    }
}
