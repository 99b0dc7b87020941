package dev.tether.agent.trust;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writing files into the new root. Files are written beside their destination and renamed over it, so a
 * reader never sees half a file; an existing file's mode, owner and group are kept.
 */
final class RootFiles {
    private RootFiles() {
    }

    /** {@code absolute} ({@code /etc/ssh/sshd_config}) inside {@code root}. */
    static Path in(Path root, String absolute) {
        return root.resolve(absolute.startsWith("/") ? absolute.substring(1) : absolute);
    }

    /** Replaces {@code file} with {@code content}, keeping its mode, owner and group. */
    static void replace(Path file, String content) throws IOException {
        PosixFileAttributes attributes = Files.readAttributes(file, PosixFileAttributes.class);
        Path temp = write(file, content, attributes.permissions());
        PosixFileAttributeView view = Files.getFileAttributeView(temp, PosixFileAttributeView.class);
        view.setOwner(attributes.owner());
        view.setGroup(attributes.group());
        // Ownership changes clear set-id bits on some systems; the mode goes back on last.
        Files.setPosixFilePermissions(temp, attributes.permissions());
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Writes {@code file} afresh with {@code mode} ({@code rw-------}), owned by this process (root). */
    static void create(Path file, String content, String mode) throws IOException {
        Files.createDirectories(file.getParent());
        Path temp = write(file, content, PosixFilePermissions.fromString(mode));
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Writes {@code content} to {@code file} when it is absent; else replaces it keeping its attributes. */
    static void write(Path file, String content, String modeIfNew) throws IOException {
        if (Files.exists(file)) {
            replace(file, content);
        } else {
            create(file, content, modeIfNew);
        }
    }

    static void directory(Path dir, String mode) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
        }
    }

    private static Path write(Path file, String content, Set<PosixFilePermission> permissions) throws IOException {
        Path temp = file.resolveSibling("." + file.getFileName() + ".tether-new");
        Files.deleteIfExists(temp);
        // Created with the final mode (a private key is never readable by others, not even for a moment).
        Files.createFile(temp, PosixFilePermissions.asFileAttribute(permissions));
        Files.setPosixFilePermissions(temp, permissions);
        Files.writeString(temp, content, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        return temp;
    }
}
