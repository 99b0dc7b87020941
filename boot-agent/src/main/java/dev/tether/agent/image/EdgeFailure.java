package dev.tether.agent.image;

import java.io.IOException;

/** An edge answered a range request wrongly (status, headers, body length) or not at all. */
public final class EdgeFailure extends IOException {
    private static final long serialVersionUID = 1L;

    public EdgeFailure(String message) {
        super(message);
    }

    public EdgeFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
