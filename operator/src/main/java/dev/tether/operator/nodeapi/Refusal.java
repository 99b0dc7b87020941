package dev.tether.operator.nodeapi;

import dev.tether.nodeapi.ApiError;

/**
 * A request the node API will not answer as asked: the status, a stable code and a sentence that says
 * what to do. The message must never hold a secret: it goes to the node, to the log and into events.
 */
public final class Refusal extends Exception {
    private final int status;
    private final String code;
    private final long retryAfterSeconds;

    public Refusal(int status, String code, String message) {
        this(status, code, message, 0);
    }

    private Refusal(int status, String code, String message, long retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static Refusal badRequest(String code, String message) {
        return new Refusal(400, code, message);
    }

    public static Refusal rateLimited(String message, long retryAfterSeconds) {
        return new Refusal(429, "RateLimited", message, Math.max(1, retryAfterSeconds));
    }

    /** The same refusal, telling the client when to try again. */
    public Refusal withRetryAfter(long seconds) {
        return new Refusal(status, code, getMessage(), Math.max(1, seconds));
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public ApiError error() {
        return new ApiError(code, getMessage());
    }

    public Reply reply() {
        Reply reply = Reply.json(status, error());
        return retryAfterSeconds > 0 ? reply.withHeader("Retry-After", Long.toString(retryAfterSeconds)) : reply;
    }
}
