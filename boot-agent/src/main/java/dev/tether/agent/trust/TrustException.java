package dev.tether.agent.trust;

/** The node could not establish who it is or get what it needs; the message is one console line saying what to do. */
public class TrustException extends Exception {
    private static final long serialVersionUID = 1L;

    public TrustException(String message) {
        super(message);
    }

    public TrustException(String message, Throwable cause) {
        super(message, cause);
    }
}
