package dev.tether.dev;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The reads a guest's block device has completed, from its {@code /sys/block/<device>/stat} (the kernel's
 * Documentation/block/stat.rst: read I/Os, read merges, sectors read, ...). Where a root is a local disk, a read is a
 * request to the disk; where it is a tethered Tether root, a read of its squashfs's loop device is one FUSE request to
 * the agent, so the count is the number of round trips the served root cost.
 */
public record BlockReads(String device, long requests, long bytes) {
    private static final int SECTOR_BYTES = 512;

    /**
     * The reads of the block device mounted at {@code mountPoint} in {@code vm}, asked over ssh. Asked after a boot's
     * login is marked, not with the command that marks it: the processes it starts are no part of the boot's time.
     */
    public static BlockReads read(VirtualMachine vm, Path privateKey, String mountPoint, String device)
            throws IOException, InterruptedException {
        var stat = vm.ssh(privateKey, "cat /sys/block/$(basename $(findmnt -n -o SOURCE " + mountPoint + "))/stat",
                Duration.ofMinutes(1));
        if (stat.status() != 0) {
            throw new IOException("cannot read the stat line of the block device at " + mountPoint + ": " + stat.output());
        }
        return parse(device, stat.output());
    }

    /** Parses a stat line ({@code /sys/block/<device>/stat}) of {@code device}. */
    public static BlockReads parse(String device, String statLine) {
        String[] fields = statLine.strip().split("\\s+");
        try {
            if (fields.length >= 3) {
                return new BlockReads(device, Long.parseLong(fields[0]), Long.parseLong(fields[2]) * SECTOR_BYTES);
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("not a block device's stat line: '" + statLine.strip() + "'");
    }

    /** "1,697 reads of 20.4 MB (12 KiB each) from the squashfs's loop device", for a report line. */
    public String describe() {
        return String.format(Locale.ROOT, "%,d reads of %.1f MB (%.0f KiB each) from %s", requests, bytes / 1e6,
                requests == 0 ? 0.0 : bytes / 1024.0 / requests, device);
    }
}
