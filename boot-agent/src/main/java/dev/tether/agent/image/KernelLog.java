package dev.tether.agent.image;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Copies of the agent's console lines in the kernel log, so {@code dmesg} still shows how the node booted
 * after the hand-over. The device is opened once and the descriptor kept: after switch_root the initramfs's
 * {@code /dev} is gone from the agent's view, but the tethered agent goes on serving the root image and still
 * has things to say. A copy that cannot be written is dropped; the console line is the one that counts.
 */
public final class KernelLog {
    /** Record levels, as the {@code <N>} prefix of a {@code /dev/kmsg} write. */
    public static final int ERR = 3;
    public static final int WARNING = 4;
    public static final int INFO = 6;

    private static final Path DEVICE = Path.of("/dev/kmsg");
    private static final Optional<KernelLog> SYSTEM = open(DEVICE);

    /** A stream, not a FileChannel: an interrupted writer (a cancelled fetch) would close a channel for everyone. */
    private final FileOutputStream out;

    private KernelLog(FileOutputStream out) {
        this.out = out;
    }

    /** {@code /dev/kmsg}, opened at the first use in this process; empty when it is not writable. */
    public static Optional<KernelLog> system() {
        return SYSTEM;
    }

    /** The kernel log at {@code path} (a stand-in file in tests), or empty when it cannot be opened for writing. */
    public static Optional<KernelLog> open(Path path) {
        // Checked first: opening would create a missing /dev/kmsg as a plain file.
        if (!Files.isWritable(path) || Files.isDirectory(path)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new KernelLog(new FileOutputStream(path.toFile(), true)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Writes {@code line} as one record: /dev/kmsg takes each write() as one log line, so it is never split. */
    public void write(int level, String line) {
        try {
            out.write(("<" + level + ">" + line + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException ignored) {
            // The console line already went out; the kernel log holds a copy only.
        }
    }
}
