package dev.tether.agent;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The agent's lines on the initramfs console: short, prefixed {@code tether:}, one per event. With a kernel
 * log they are copied there too, so {@code dmesg} still shows how the node booted after the hand-over.
 */
public final class AgentConsole {
    /** Kernel log levels, as the record prefix of a /dev/kmsg write. */
    private static final int KERN_ERR = 3;
    private static final int KERN_WARNING = 4;
    private static final int KERN_INFO = 6;

    private final PrintStream out;
    private volatile Optional<Path> kernelLog;
    private volatile boolean debug;

    /** @param kernelLog where the kernel log takes records ({@code /dev/kmsg}), or empty for the console only */
    public AgentConsole(PrintStream out, Optional<Path> kernelLog, boolean debug) {
        this.out = out;
        this.kernelLog = kernelLog;
        this.debug = debug;
    }

    public void info(String line) {
        print("tether: " + line, KERN_INFO);
    }

    /** Something the node copes with but an administrator should know (an edge down, a retry). */
    public void warn(String line) {
        print("tether: " + line, KERN_WARNING);
    }

    public void error(String line) {
        print("tether: error: " + line, KERN_ERR);
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
        if (kernelLog.isPresent()) {
            // Each write() to /dev/kmsg is one record.
            try (OutputStream kmsg = new FileOutputStream(kernelLog.get().toFile(), true)) {
                kmsg.write(("<" + level + ">" + line + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // The console line went out; the kernel log holds a copy only.
            }
        }
    }
}
