package dev.tether.agent.image;

/**
 * What a {@link ChunkFetcher} has done so far.
 *
 * @param requests          range requests sent, hedges included
 * @param hedges            second requests sent because the first was slow
 * @param edgeFailures      requests that failed (refused, wrong answer, stalled)
 * @param integrityFailures answers whose chunk failed its integrity check
 * @param bytes             body bytes fetched: every answer that arrived whole, verified or not, winner of a hedge
 *                          or loser (a loser cancelled mid-body is not counted: its bytes stop with the connection)
 * @param usefulBytes       of those, the bytes a reader needed: for the fetcher alone, the verified answers; for a
 *                          {@link RemoteRootImage}, the header and each chunk the first time a reader reads it
 */
public record FetchStats(long requests, long hedges, long edgeFailures, long integrityFailures, long bytes,
                         long usefulBytes) {

    /**
     * Bytes fetched that no reader needed (yet): hedge losers, damaged answers, read-ahead not read (yet), chunks
     * fetched again after the cache evicted them.
     */
    public long wastedBytes() {
        return Math.max(0, bytes - usefulBytes);
    }

    /** The same figures with another count of the useful bytes. */
    public FetchStats withUsefulBytes(long useful) {
        return new FetchStats(requests, hedges, edgeFailures, integrityFailures, bytes, useful);
    }
}
