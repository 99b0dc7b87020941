package dev.tether.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The initramfs's word that the node's drivers are loaded and its network configured. The initramfs-tools script
 * starts the agent before it loads the rest of its modules, waits for udev and runs DHCP, so the agent's JVM starts
 * (seconds on a slow or emulated CPU) while those run; the boot itself begins once the script has written the file.
 */
final class InitramfsReady {
    private InitramfsReady() {
    }

    /** Returns once {@code file} exists; fails after {@code patience}, saying what never came. */
    static void await(Path file, Duration patience) throws IOException, InterruptedException {
        // Most often the script is done long before the JVM is: no watch, no thread.
        if (Files.exists(file)) {
            return;
        }
        Path directory = file.toAbsolutePath().getParent();
        try (WatchService watch = directory.getFileSystem().newWatchService()) {
            directory.register(watch, StandardWatchEventKinds.ENTRY_CREATE);
            long deadline = System.nanoTime() + patience.toNanos();
            // Checked again after the watch is set: the file may have come between the first look and the register.
            while (!Files.exists(file)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException(String.format(Locale.ROOT, "the initramfs did not write %s within %.1f s to"
                            + " say its network is configured; see its messages above (a network device that never"
                            + " came up, DHCP that never answered)", file, patience.toMillis() / 1000.0));
                }
                WatchKey key = watch.poll(left, TimeUnit.NANOSECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            }
        }
    }
}
