package dev.tether.agent;

/** The boot configuration (kernel command line, addon profile, options) is wrong or incomplete. */
public class BootConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public BootConfigException(String message) {
        super(message);
    }

    public BootConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
