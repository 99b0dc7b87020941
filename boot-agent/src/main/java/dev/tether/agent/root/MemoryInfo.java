package dev.tether.agent.root;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the kernel says about the machine's memory, from {@code /proc/meminfo}. */
public final class MemoryInfo {
    private MemoryInfo() {
    }

    public static long memTotalBytes() throws RootSetupException {
        return memTotalBytes(Path.of("/proc/meminfo"));
    }

    static long memTotalBytes(Path meminfo) throws RootSetupException {
        try {
            for (String line : Files.readAllLines(meminfo)) {
                if (line.startsWith("MemTotal:")) {
                    String[] fields = line.substring("MemTotal:".length()).strip().split("\\s+");
                    return Long.parseLong(fields[0]) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new RootSetupException("cannot read MemTotal from " + meminfo + ": " + e.getMessage()
                    + "; is /proc mounted?", e);
        }
        throw new RootSetupException(meminfo + " has no MemTotal line; is /proc mounted?");
    }
}
