package dev.tether.operator.power;

/** A BMC that could not be asked, or did not do what it was asked; the message never holds a credential. */
public final class BmcException extends Exception {
    /** What went wrong, as a condition reason says it. */
    public enum Kind {
        /** No answer in time, connection refused, no route, TLS failure. */
        UNREACHABLE("BmcUnreachable"),
        /** The BMC answered but refused the user name or password. */
        AUTHENTICATION("BmcAuthenticationFailed"),
        /** The BMC took the request but refused it (insufficient privilege, not supported, an error status). */
        REFUSED("BmcRefused"),
        /** The answer was not what the protocol says it is (malformed, too large, another host named). */
        BAD_ANSWER("BmcAnswerInvalid"),
        /** What the credentials Secret holds cannot be used (a ca.crt that is no certificate): nothing changes until it is fixed. */
        SECRET_NOT_USABLE("BmcSecretNotUsable");

        public final String reason;

        Kind(String reason) {
            this.reason = reason;
        }
    }

    private final Kind kind;

    public BmcException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
