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
 * @param agentMemory what the agent that stays to serve a tethered root costs the node; null when it does not stay
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record BootReport(String digest, String method, String keySource, Map<String, Long> phaseMillis, Fetch fetch,
        AgentMemory agentMemory) {
    public static final int MAX_PHASES = 64;

    /** A report without the agent's memory (an untethered root, whose agent ends with the boot). */
    public BootReport(String digest, String method, String keySource, Map<String, Long> phaseMillis, Fetch fetch) {
        this(digest, method, keySource, phaseMillis, fetch, null);
    }

    /**
     * The tethered agent's cost to the node's memory at the report, and the bounds it runs under. Each is at most
     * {@link Fetch#MAX}.
     *
     * @param anonymousBytes  the process's resident anonymous memory: heap, chunk cache, metaspace, code, stacks
     * @param fileBytes       the files it keeps in RAM: its runtime and jar, which stay in memory after the switch to
     *                        the real root because the process holds them
     * @param chunkCacheBytes the bound of its decrypted chunk cache (part of the anonymous memory once full)
     * @param heapMaxBytes    the Java heap's bound
     * @param directMaxBytes  the bound of direct memory, where the chunk cache and the chunks in flight live
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record AgentMemory(long anonymousBytes, long fileBytes, long chunkCacheBytes, long heapMaxBytes,
            long directMaxBytes) {
        public long totalBytes() {
            return anonymousBytes + fileBytes;
        }
    }

    /**
     * The root image fetcher's counts: for a tethered root, what the boot read so far (the mount keeps reading
     * after the report); for an untethered one, the whole download. Each is at most {@link #MAX}.
     *
     * @param requests          range requests sent to edges, hedges included
     * @param hedges            second requests sent because the first edge was slow
     * @param edgeFailures      requests that failed (refused, stalled, wrong answer)
     * @param integrityFailures answers whose bytes failed verification (a damaged copy)
     * @param bytes             bytes fetched in all: every answer that arrived whole, verified or not, hedge winner or
     *                          loser
     * @param usefulBytes       of those, the bytes the boot needed: for a tethered root, the header and each chunk
     *                          the first time it was read; null from an agent that does not report it
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Fetch(long requests, long hedges, long edgeFailures, long integrityFailures, long bytes,
                        Long usefulBytes) {
        /** The largest integer every JSON reader keeps exact (2^53 - 1); far beyond any boot's figures. */
        public static final long MAX = (1L << 53) - 1;

        /**
         * Bytes fetched that the boot did not need (yet): hedge losers, damaged answers, read-ahead not read, chunks
         * fetched again after the cache evicted them, and the rest of each chunk a small read needed a part of.
         */
        public Long wastedBytes() {
            return usefulBytes == null ? null : Math.max(0, bytes - usefulBytes);
        }

        /** Both fetches' figures together; useful bytes only where both count them. */
        public Fetch plus(Fetch other) {
            return new Fetch(requests + other.requests, hedges + other.hedges, edgeFailures + other.edgeFailures,
                    integrityFailures + other.integrityFailures, bytes + other.bytes,
                    usefulBytes == null || other.usefulBytes == null ? null : usefulBytes + other.usefulBytes);
        }

        /** The same figures with another count of the useful bytes. */
        public Fetch withUsefulBytes(long useful) {
            return new Fetch(requests, hedges, edgeFailures, integrityFailures, bytes, useful);
        }
    }
}
