package dev.tether.origin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * What a builder Job may do on the origin: upload blobs, for one build, until the grant expires, and claim the blobs it
 * uploads or finds already stored until then (so the operator's garbage collection keeps them while the build's version
 * is not yet published); never delete, never anything else. The operator mints one per build ({@code namespace/image/g<generation>}) and mounts it in that build's
 * pod only; the origin checks it with the same {@link GrantKey}, so it needs no list of builds and no call back to the
 * operator.
 *
 * <p>The scope is upload-only and time-bound, not a list of digests: a build learns its artifacts' digests only after
 * it has built them, and the origin is content-addressed (an upload's digest is verified, an existing blob is never
 * replaced), so an upload cannot change or remove anything another build published. What a leaked or misused grant
 * can do until it expires is add blobs.
 *
 * <p>Wire form, used as the bearer token: {@code tug1.<build, base64url>.<expiry, Unix seconds>.<HMAC-SHA256 of what
 * precedes it, base64url>}.
 *
 * @param build   whose grant it is, as the origin's log names it
 * @param expires the first instant at which the origin refuses it
 */
public record UploadGrant(String build, Instant expires) {
    public static final String PREFIX = "tug1.";
    private static final Pattern BUILD = Pattern.compile("^[a-z0-9][-a-z0-9./]{0,252}$");
    private static final Pattern SECONDS = Pattern.compile("^[0-9]{1,12}$");
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    public UploadGrant {
        if (build == null || !BUILD.matcher(build).matches()) {
            throw new IllegalArgumentException("a build is named namespace/image/g<generation>, not " + build);
        }
        expires = Instant.ofEpochSecond(expires.getEpochSecond());
    }

    /** The grant as a bearer token. */
    public String token(GrantKey key) {
        String signed = PREFIX + ENCODER.encodeToString(build.getBytes(StandardCharsets.UTF_8)) + "." + expires.getEpochSecond();
        return signed + "." + ENCODER.encodeToString(key.sign(signed));
    }

    /** Whether {@code token} is meant as a grant (rather than as the origin's own token), checked or not. */
    public static boolean isGrant(String token) {
        return token != null && token.startsWith(PREFIX);
    }

    /** What checking a presented token gave. */
    public sealed interface Check {}

    public record Valid(UploadGrant grant) implements Check {}

    /** Signed by the key, but past its expiry. */
    public record Expired(UploadGrant grant) implements Check {}

    /** Not a grant this key signed: forged, altered, another installation's, or malformed. */
    public record Invalid() implements Check {}

    public static Check check(String token, GrantKey key, Instant now) {
        if (!isGrant(token) || token.length() > 1024) {
            return new Invalid();
        }
        int mac = token.lastIndexOf('.');
        String signed = token.substring(0, mac);
        byte[] presented;
        try {
            presented = Base64.getUrlDecoder().decode(token.substring(mac + 1));
        } catch (IllegalArgumentException e) {
            return new Invalid();
        }
        // The signature first, in constant time: nothing of an unsigned token is believed, or even parsed.
        if (!MessageDigest.isEqual(key.sign(signed), presented)) {
            return new Invalid();
        }
        String[] parts = signed.substring(PREFIX.length()).split("\\.", -1);
        if (parts.length != 2 || !SECONDS.matcher(parts[1]).matches()) {
            return new Invalid();
        }
        UploadGrant grant;
        try {
            grant = new UploadGrant(new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8),
                    Instant.ofEpochSecond(Long.parseLong(parts[1])));
        } catch (IllegalArgumentException e) {
            return new Invalid();
        }
        return now.isBefore(grant.expires()) ? new Valid(grant) : new Expired(grant);
    }
}
