package dev.tether.content.store;

import dev.tether.origin.GrantKey;
import dev.tether.origin.UploadGrant;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;

/**
 * Who may change the origin's store. The origin's own token (from a mounted Secret, held by the operator only) may
 * upload and delete; a build's {@link UploadGrant}, signed with a key derived from that token, may upload (and claim
 * blobs, see {@link BlobClaims}) until it expires and nothing else. Of the token only its hash and the derived key are kept; a presented token is compared
 * by hash with {@link MessageDigest#isEqual}: constant time, and equal-length inputs, so neither the content nor the
 * length of the token leaks through timing. No token is ever logged or echoed.
 */
public final class BearerToken {
    private final byte[] expectedHash;
    private final GrantKey grants;
    private final Clock clock;

    private BearerToken(byte[] expectedHash, GrantKey grants, Clock clock) {
        this.expectedHash = expectedHash;
        this.grants = grants;
        this.clock = clock;
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
        return of(token, Clock.systemUTC());
    }

    /** @param clock what grants' expiry is judged by */
    public static BearerToken of(String token, Clock clock) {
        return new BearerToken(hash(token), GrantKey.derivedFrom(token), clock);
    }

    /** What a request with this {@code Authorization} header may do. */
    public sealed interface Access {}

    /** The origin's own token: the operator. */
    public record Operator() implements Access {}

    /** A build's valid upload grant, which expires at {@code expires}. */
    public record Build(String build, Instant expires) implements Access {}

    /** @param message what happened and what to do, never the token */
    public record Refused(int status, String message) implements Access {}

    public Access forUpload(String authorization) {
        String token = presented(authorization);
        if (token == null) {
            return new Refused(401, "uploads need Authorization: Bearer <token>, with the origin's token or a build's upload grant");
        }
        if (!UploadGrant.isGrant(token)) {
            return operator(token) ? new Operator()
                    : new Refused(401, "the bearer token is not the origin's token; uploads need it or a build's upload grant");
        }
        return switch (UploadGrant.check(token, grants, clock.instant())) {
            case UploadGrant.Valid valid -> new Build(valid.grant().build(), valid.grant().expires());
            case UploadGrant.Expired expired -> new Refused(401, "the upload grant of build " + expired.grant().build()
                    + " expired at " + expired.grant().expires() + ": a build may upload only until its timeout"
                    + " (spec.builder.timeout) is over; raise the timeout or change the spec to build again");
            case UploadGrant.Invalid invalid -> new Refused(401, "the upload grant was not issued by this origin's operator"
                    + " (altered, forged or another installation's); builds upload with the grant mounted in their Job");
        };
    }

    /** The clock grants' expiry, and so claims' expiry, is judged by. */
    public Clock clock() {
        return clock;
    }

    public Access forDelete(String authorization) {
        String token = presented(authorization);
        if (UploadGrant.isGrant(token)) {
            return new Refused(403, "a build's upload grant may only upload; blobs are removed by the operator alone");
        }
        return token != null && operator(token) ? new Operator()
                : new Refused(401, "deleting needs Authorization: Bearer <token> with the origin's token");
    }

    /**
     * Whether the header carries exactly this token, for endpoints with a single holder (an edge's prefetch token);
     * an upload grant never counts.
     */
    public boolean accepts(String authorization) {
        String token = presented(authorization);
        return token != null && !UploadGrant.isGrant(token) && operator(token);
    }

    private boolean operator(String token) {
        return MessageDigest.isEqual(expectedHash, hash(token));
    }

    private static String presented(String authorization) {
        if (authorization == null || authorization.length() < 7 || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return authorization.substring(7).strip();
    }

    private static byte[] hash(String token) {
        return Sha256.newDigest().digest(token.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "BearerToken[redacted]";
    }
}
