package dev.tether.agent.image;

import java.io.PrintStream;
import java.util.Optional;

/**
 * Where the data plane tells the operator at the console what it is waiting for. Injectable so that
 * tests can capture the messages; the boot uses {@link #kernelLog()}.
 */
@FunctionalInterface
public interface ConsoleSink {

    void message(String line);

    /**
     * Standard error (the initramfs console) and, when writable, {@code /dev/kmsg}, so the message also
     * lands in {@code dmesg} after the hand-off to the real init.
     */
    static ConsoleSink kernelLog() {
        return to(System.err, KernelLog.system());
    }

    /** {@code console} first, then a copy in {@code kernelLog} as a warning. */
    static ConsoleSink to(PrintStream console, Optional<KernelLog> kernelLog) {
        return line -> {
            console.println("tether: " + line);
            kernelLog.ifPresent(log -> log.write(KernelLog.WARNING, "tether: " + line));
        };
    }
}
