package dev.tether.agent.cli;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Marks this process as one that systemd must not kill at shutdown. The tethered agent serves the root
 * image: killed before the root is unmounted, every later read of the root fails. systemd spares a process
 * started from the initrd whose {@code argv[0]} begins with {@code @} (systemd's "storage daemons" rule,
 * docs/ROOT_STORAGE_DAEMONS); a Java launcher cannot choose its own {@code argv[0]}, so the first byte of
 * it is overwritten in this process's memory, where {@code /proc/<pid>/cmdline} reads it from.
 */
final class ShutdownSurvivor {
    /** {@code arg_start} is field 48 of {@code /proc/<pid>/stat} (proc(5)). */
    private static final int ARG_START_FIELD = 48;

    private ShutdownSurvivor() {
    }

    /** Returns null when marked, else why not. */
    static String mark() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"), StandardCharsets.US_ASCII);
            // Fields from the third on follow the command name in parentheses, which may hold spaces.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).strip().split(" ");
            long argStart = Long.parseLong(fields[ARG_START_FIELD - 3]);
            try (RandomAccessFile memory = new RandomAccessFile("/proc/self/mem", "rw")) {
                memory.seek(argStart);
                memory.write('@');
            }
            byte[] cmdline = Files.readAllBytes(Path.of("/proc/self/cmdline"));
            return cmdline.length > 0 && cmdline[0] == '@' ? null : "/proc/self/cmdline did not change";
        } catch (IOException | RuntimeException e) {
            return e.getMessage();
        }
    }
}
