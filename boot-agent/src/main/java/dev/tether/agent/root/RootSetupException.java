package dev.tether.agent.root;

import java.io.IOException;

/**
 * Building the root failed in a way the administrator can act on. The message is one line that says what
 * happened and what to check; it is what the console shows.
 */
public class RootSetupException extends IOException {
    private static final long serialVersionUID = 1L;

    public RootSetupException(String message) {
        super(message);
    }

    public RootSetupException(String message, Throwable cause) {
        super(message, cause);
    }
}
