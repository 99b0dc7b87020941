package dev.tether.operator.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a builder reports when it ends: one line of JSON in its termination message
 * (docs/contracts.md, "Builder result"). Unknown fields are ignored so builders can say more.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BuildResult(
        String digest,
        String kernelVersion,
        Long rootImageBytes,
        Long squashfsBytes,
        String kernelDigest,
        String initramfsDigest,
        String rootImageDigest,
        Boolean encrypted,
        String keyId,
        Long buildSeconds,
        String error,
        String sourceDigest,
        Long bootOrderFiles) {

    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final Pattern DIGEST = Pattern.compile("^sha256:[a-f0-9]{64}$");

    /** A result of a build packed without a boot order. */
    public BuildResult(String digest, String kernelVersion, Long rootImageBytes, Long squashfsBytes, String kernelDigest,
            String initramfsDigest, String rootImageDigest, Boolean encrypted, String keyId, Long buildSeconds,
            String error, String sourceDigest) {
        this(digest, kernelVersion, rootImageBytes, squashfsBytes, kernelDigest, initramfsDigest, rootImageDigest,
                encrypted, keyId, buildSeconds, error, sourceDigest, null);
    }

    /** A result without a source image (a tree built from distribution packages). */
    public BuildResult(String digest, String kernelVersion, Long rootImageBytes, Long squashfsBytes, String kernelDigest,
            String initramfsDigest, String rootImageDigest, Boolean encrypted, String keyId, Long buildSeconds,
            String error) {
        this(digest, kernelVersion, rootImageBytes, squashfsBytes, kernelDigest, initramfsDigest, rootImageDigest,
                encrypted, keyId, buildSeconds, error, null, null);
    }

    /**
     * Reads the last line of a termination message that is a JSON object. Empty when there is none
     * (a builder that died before it could report, or a log tail written by Kubernetes instead).
     */
    public static Optional<BuildResult> parse(String terminationMessage) {
        if (terminationMessage == null) {
            return Optional.empty();
        }
        String[] lines = terminationMessage.strip().split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            String line = lines[i].strip();
            if (line.startsWith("{") && line.endsWith("}")) {
                try {
                    return Optional.of(JSON.readValue(line, BuildResult.class));
                } catch (Exception e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    /** Why this result cannot be published, or empty when it is complete and well formed. */
    public Optional<String> problem() {
        if (error != null) {
            return Optional.of(error);
        }
        for (var digestField : new String[][] {
                {"digest", digest}, {"kernelDigest", kernelDigest}, {"initramfsDigest", initramfsDigest}, {"rootImageDigest", rootImageDigest}}) {
            if (digestField[1] == null || !DIGEST.matcher(digestField[1]).matches()) {
                return Optional.of("the builder reported no valid " + digestField[0]);
            }
        }
        // Optional (only images built from an OCI image have one), but what goes into status must be a digest.
        if (sourceDigest != null && !DIGEST.matcher(sourceDigest).matches()) {
            return Optional.of("the builder reported a malformed sourceDigest");
        }
        if (bootOrderFiles != null && (bootOrderFiles < 0 || bootOrderFiles > 1_000_000)) {
            return Optional.of("the builder reported a malformed bootOrderFiles");
        }
        if (rootImageBytes == null || rootImageBytes <= 0) {
            return Optional.of("the builder reported no root image size");
        }
        return Optional.empty();
    }
}
