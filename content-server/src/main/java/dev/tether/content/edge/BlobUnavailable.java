package dev.tether.content.edge;

/**
 * Why the edge cannot serve a blob now. The cache says what went wrong in its own terms; the HTTP layer
 * decides what status a client gets for it ({@code BlobHandler}).
 */
public final class BlobUnavailable extends RuntimeException {
    /** What kept the blob from being served. */
    public enum Reason {
        /** The cache quota cannot make room for it: another source would not change that. */
        CACHE_FULL,
        /** Neither the origin nor any peer has it. */
        NOT_AT_ANY_SOURCE,
        /** Sources had it, but none delivered it intact. */
        NO_INTACT_SOURCE,
        /** Recent fills failed; the edge waits before asking its sources again. */
        HELD_BACK
    }

    private final Reason reason;
    private final long retryAfterSeconds;

    public BlobUnavailable(Reason reason, String message) {
        this(reason, message, 0);
    }

    /** @param retryAfterSeconds when the client may expect a different answer, or 0 to say nothing */
    public BlobUnavailable(Reason reason, String message, long retryAfterSeconds) {
        super(message, null, false, false);
        this.reason = reason;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public Reason reason() {
        return reason;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
