package dev.tether.agent.image;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

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
        Path kmsg = Path.of("/dev/kmsg");
        boolean toKmsg = Files.isWritable(kmsg);
        return line -> {
            System.err.println("tether: " + line);
            if (toKmsg) {
                // One write per record: /dev/kmsg takes each write() as one log line; <4> is KERN_WARNING.
                try (OutputStream out = new FileOutputStream(kmsg.toFile())) {
                    out.write(("<4>tether: " + line + "\n").getBytes(StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // The console line above already went out; kmsg is a copy.
                }
            }
        };
    }
}
