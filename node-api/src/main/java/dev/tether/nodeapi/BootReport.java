package dev.tether.nodeapi;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * What a node tells the operator once its root is ready.
 *
 * @param keySource   where the API key came from: {@code tpm} (unsealed) or {@code network} (issued while armed)
 * @param phaseMillis each boot step's duration, in boot order
 * @param fetch       how the root image was read from the edges up to the report; null when the agent does not know
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record BootReport(String digest, String method, String keySource, Map<String, Long> phaseMillis, Fetch fetch) {
    public static final int MAX_PHASES = 64;

    /**
     * The root image fetcher's counts: for a tethered root, what the boot read so far (the mount keeps reading
     * after the report); for an untethered one, the whole download. Each is at most {@link #MAX}.
     *
     * @param requests          range requests sent to edges, hedges included
     * @param hedges            second requests sent because the first edge was slow
     * @param edgeFailures      requests that failed (refused, stalled, wrong answer)
     * @param integrityFailures answers whose bytes failed verification (a damaged copy)
     * @param bytes             bytes of verified answers
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Fetch(long requests, long hedges, long edgeFailures, long integrityFailures, long bytes) {
        /** The largest integer every JSON reader keeps exact (2^53 - 1); far beyond any boot's figures. */
        public static final long MAX = (1L << 53) - 1;
    }
}
