package dev.tether.imgutil.util;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;

/**
 * Where imgutil reports what it does: on a terminal, short lines and a live progress line; in a Job
 * (no terminal), timestamped log lines only, so that {@code kubectl logs} reads cleanly.
 */
public final class Console {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    private final PrintStream err;
    private final boolean terminal;

    public Console(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /** Decides from stderr whether a person is watching; {@code IMGUTIL_PROGRESS=plain} forces log lines. */
    public static Console forStderr(PrintStream err) {
        boolean terminal = !"plain".equals(System.getenv("IMGUTIL_PROGRESS")) && isTerminal(2);
        return new Console(err, terminal);
    }

    /** True when the file descriptor is a terminal; read from /proc because System.console() cannot say on JDK 22+. */
    static boolean isTerminal(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return false;
        }
    }

    public boolean terminal() {
        return terminal;
    }

    public PrintStream stream() {
        return err;
    }

    public synchronized void info(String message) {
        err.println(terminal ? message : TIME.format(LocalTime.now()) + " " + message);
        err.flush();
    }

    public synchronized void warn(String message) {
        info("WARNING: " + message);
    }

    /** A byte-counting progress report for one step. */
    public Progress progress(String label, long total) {
        return new Progress(this, label, total);
    }

    synchronized void printProgressLine(String line, boolean done) {
        err.print("\r" + line + (done ? "\n" : ""));
        err.flush();
    }
}
