package dev.tether.dev;

/**
 * What this machine lacks for what was asked (root, a tool, a build output), in one line that says how to get
 * it. {@code tether-dev} prints it and exits 2; the e2e tests skip with it.
 */
public final class MissingPrerequisite extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MissingPrerequisite(String message) {
        super(message);
    }

    /** Throws with {@code message} unless {@code present}. */
    public static void require(boolean present, String message) {
        if (!present) {
            throw new MissingPrerequisite(message);
        }
    }
}
