package dev.tether.agent.trust;

import dev.tether.nodeapi.NodeApi;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * A node API key ({@code tk_…}). It only ever leaves this object as a request header or as the bytes sealed
 * into the TPM; {@link #toString()} never shows it.
 */
public final class ApiKey {
    private static final Pattern FORM = Pattern.compile("tk_[A-Za-z0-9_-]{16," + (NodeApi.MAX_API_KEY_LENGTH - 3) + "}");

    private final String value;

    private ApiKey(String value) {
        this.value = value;
    }

    /** A key as the node API issued it; a malformed one is refused without being shown. */
    public static ApiKey of(String value) {
        if (value == null || !FORM.matcher(value).matches()) {
            throw new IllegalArgumentException("the node API answered with something that is not an API key ("
                    + (value == null ? "nothing" : value.length() + " characters") + ")");
        }
        return new ApiKey(value);
    }

    /** A key unsealed from the TPM. */
    public static ApiKey fromSealed(byte[] bytes) {
        if (bytes.length > NodeApi.MAX_API_KEY_LENGTH) {
            throw new IllegalArgumentException("the TPM holds " + bytes.length + " bytes, too long for an API key");
        }
        try {
            return of(new String(bytes, StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the TPM holds " + bytes.length + " bytes that are not an API key");
        }
    }

    /** The bytes to seal; callers clear them after use. */
    public byte[] toSeal() {
        return value.getBytes(StandardCharsets.US_ASCII);
    }

    String authorization() {
        return NodeApi.BEARER + value;
    }

    @Override
    public String toString() {
        return "ApiKey(redacted)";
    }
}
