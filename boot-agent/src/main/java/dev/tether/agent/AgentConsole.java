package dev.tether.agent;

import dev.tether.agent.image.KernelLog;
import java.io.PrintStream;
import java.util.Optional;

/**
 * The agent's lines on the initramfs console: short, prefixed {@code tether:}, one per event. With a kernel
 * log they are copied there too, so {@code dmesg} still shows how the node booted after the hand-over.
 */
public final class AgentConsole {
    private final PrintStream out;
    private volatile Optional<KernelLog> kernelLog;
    private volatile boolean debug;

    /** @param kernelLog the kernel log ({@link KernelLog#system()}), or empty for the console only */
    public AgentConsole(PrintStream out, Optional<KernelLog> kernelLog, boolean debug) {
        this.out = out;
        this.kernelLog = kernelLog;
        this.debug = debug;
    }

    public void info(String line) {
        print("tether: " + line, KernelLog.INFO);
    }

    /** Something the node copes with but an administrator should know (an edge down, a retry). */
    public void warn(String line) {
        print("tether: " + line, KernelLog.WARNING);
    }

    public void error(String line) {
        print("tether: error: " + line, KernelLog.ERR);
    }

    /** The stack trace, only under {@code tether.debug}: the one-line error above it says what to do. */
    public void debug(Throwable failure) {
        if (debug) {
            synchronized (out) {
                failure.printStackTrace(out);
                out.flush();
            }
        }
    }

    /** Applies {@code tether.debug} and {@code tether.console}, known once the command line is read. */
    public void configure(boolean debugFromCommandLine, boolean toKernelLog) {
        debug |= debugFromCommandLine;
        if (!toKernelLog) {
            kernelLog = Optional.empty();
        }
    }

    private void print(String line, int level) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
        kernelLog.ifPresent(log -> log.write(level, line));
    }
}
