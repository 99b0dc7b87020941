package dev.tether.agent.image;

/**
 * What a {@link ChunkFetcher} has done so far.
 *
 * @param requests          range requests sent, hedges included
 * @param hedges            second requests sent because the first was slow
 * @param edgeFailures      requests that failed (refused, wrong answer, stalled)
 * @param integrityFailures answers whose chunk failed its integrity check
 * @param bytes             body bytes of verified answers
 */
public record FetchStats(long requests, long hedges, long edgeFailures, long integrityFailures, long bytes) {
}
