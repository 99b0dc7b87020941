package dev.tether.agent;

/** Where the agent's console lines go ({@code tether.console=}). */
public enum ConsoleMode {
    /** Standard output only: the initramfs console. */
    CONSOLE,
    /** Also the kernel log, so that the lines are still in {@code dmesg} after the hand-over. The default. */
    KMSG;

    static ConsoleMode parse(String text) {
        return switch (text) {
            case "console" -> CONSOLE;
            case "kmsg" -> KMSG;
            default -> throw new IllegalArgumentException("tether.console=" + text + " is not known; use console"
                    + " (the console only) or kmsg (the console and the kernel log)");
        };
    }
}
