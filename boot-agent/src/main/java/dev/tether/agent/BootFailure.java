package dev.tether.agent;

/**
 * A boot step failed. The message is the one console line: what failed and what to do; the cause is kept
 * for {@code tether.debug}.
 */
public class BootFailure extends Exception {
    private static final long serialVersionUID = 1L;

    private final String step;

    public BootFailure(String step, String message, Throwable cause) {
        super(message, cause);
        this.step = step;
    }

    public String step() {
        return step;
    }
}
