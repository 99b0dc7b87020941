package dev.tether.imgutil.util;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Writes a file under a hidden temporary name in the same directory and renames it into place only
 * when complete, so an interrupted run never leaves a file that looks finished.
 */
public final class AtomicOutput implements AutoCloseable {
    private final Path target;
    private final Path temporary;
    private boolean committed;

    private AtomicOutput(Path target, Path temporary) {
        this.target = target;
        this.temporary = temporary;
    }

    public static AtomicOutput create(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path temporary = Files.createTempFile(dir, "." + target.getFileName() + ".", ".partial");
        return new AtomicOutput(target, temporary);
    }

    /** Where to write the content. */
    public Path path() {
        return temporary;
    }

    public void commit() throws IOException {
        try {
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
        }
        committed = true;
    }

    /** Removes the temporary file unless committed. */
    @Override
    public void close() throws IOException {
        if (!committed) {
            Files.deleteIfExists(temporary);
        }
    }

    /** Writes {@code bytes} to {@code target} atomically with the given permissions. */
    public static void write(Path target, byte[] bytes, Set<PosixFilePermission> permissions) throws IOException {
        try (AtomicOutput out = create(target)) {
            Files.setPosixFilePermissions(out.path(), permissions);
            Files.write(out.path(), bytes);
            out.commit();
        }
    }
}
