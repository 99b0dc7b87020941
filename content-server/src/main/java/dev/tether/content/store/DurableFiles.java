package dev.tether.content.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Publishing a finished file under its final name so that it survives a power cut: the file's data
 * is synced before the rename (else the new name could point at a file whose blocks were never
 * written), and the directory after it (else the rename itself could be lost while the answer that
 * reported it was already sent).
 */
public final class DurableFiles {
    private DurableFiles() {
    }

    /**
     * Renames {@code synced}, whose content the caller already forced to disk, to {@code target}
     * atomically, then syncs the directory entry. Blocks on the disk: never on an event loop.
     */
    public static void publish(Path synced, Path target) throws IOException {
        Files.move(synced, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        CrashPoint.reached("renamed");
        syncDirectory(target.getParent());
    }

    /** Makes the directory's entries (creations, renames, removals) durable. */
    public static void syncDirectory(Path dir) throws IOException {
        // Linux syncs a directory through a read-only descriptor of it; the JDK allows that.
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
