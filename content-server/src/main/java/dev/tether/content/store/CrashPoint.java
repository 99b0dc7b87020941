package dev.tether.content.store;

/**
 * A test hook for crash tests: with {@code -Dtether.test.crashAt=<step>}, a process that reaches
 * that step announces it on standard output ({@code CRASH-POINT <step>}) and stops there, so the
 * test can kill it with SIGKILL at exactly that point. Without the property it does nothing.
 */
public final class CrashPoint {
    private static final String AT = System.getProperty("tether.test.crashAt");

    private CrashPoint() {
    }

    public static void reached(String step) {
        if (AT == null || !AT.equals(step)) {
            return;
        }
        System.out.println("CRASH-POINT " + step);
        System.out.flush();
        while (true) {
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                // stay here until killed
            }
        }
    }
}
