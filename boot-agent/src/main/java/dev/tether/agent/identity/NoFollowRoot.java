package dev.tether.agent.identity;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * Files in the new root, reached without following a symbolic link anywhere on the way. The agent runs in the
 * initramfs, where the new root is only a directory: an absolute link in the image ({@code /etc/x -> /run/tether})
 * would otherwise lead a write out of the node's root into the agent's own. A directory on the way that is a link
 * stops the write; a missing one is made (mode 0755, owned by root); a link in the file's own place is replaced by
 * the file, never written through. Nothing else runs in the new root before its init starts, so no one can swap a
 * checked directory for a link between the check and the write.
 */
public final class NoFollowRoot {
    /** /etc/passwd, /etc/group and /etc/hosts of an image are far smaller. */
    static final int MAX_READ_BYTES = 4 << 20;
    private static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwxr-xr-x");

    private final Path root;

    public NoFollowRoot(Path root) {
        this.root = root;
    }

    /** Writes {@code absolute} afresh with {@code content}, {@code mode} and the owner, replacing what was there. */
    public void write(String absolute, String content, Set<PosixFilePermission> mode, int uid, int gid) throws IOException {
        Path file = place(absolute, true);
        Optional<BasicFileAttributes> existing = attributes(file);
        if (existing.isPresent() && existing.get().isDirectory()) {
            throw new IOException(absolute + " is a directory in the image");
        }
        Path temp = file.resolveSibling("." + file.getFileName() + ".tether-new");
        Files.deleteIfExists(temp);
        // O_CREAT|O_EXCL|O_NOFOLLOW, created with its final mode: no one reads it half-written or before its owner is set.
        try (SeekableByteChannel channel = Files.newByteChannel(temp, Set.<OpenOption>of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(mode))) {
            ByteBuffer bytes = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        }
        Files.setAttribute(temp, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(temp, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        // The umask took bits away at creation, and a change of owner may clear others: the mode goes on last.
        Files.getFileAttributeView(temp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setPermissions(mode);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Why {@code absolute} cannot be written (a link or a non-directory on the way, a directory in its place), or
     * empty: checked for every file before any is written, so a refused list leaves the root as it was.
     */
    public Optional<String> whyNotWritable(String absolute) throws IOException {
        String[] components = absolute.substring(1).split("/");
        Path directory = root;
        for (int i = 0; i < components.length; i++) {
            Path next = directory.resolve(components[i]);
            Optional<BasicFileAttributes> attributes = attributes(next);
            if (attributes.isEmpty()) {
                return Optional.empty();
            }
            boolean last = i == components.length - 1;
            if (last) {
                return attributes.get().isDirectory() ? Optional.of(absolute + " is a directory in the image") : Optional.empty();
            }
            if (attributes.get().isSymbolicLink()) {
                return Optional.of("/" + root.relativize(next) + " is a symbolic link in the image, and node files are not"
                        + " written through links");
            }
            if (!attributes.get().isDirectory()) {
                return Optional.of("/" + root.relativize(next) + " is not a directory in the image");
            }
            directory = next;
        }
        return Optional.empty();
    }

    /** The text of {@code absolute}, if it is a regular file reached through no link (a link gives empty). */
    Optional<String> readIfRegular(String absolute) throws IOException {
        Path file;
        try {
            file = place(absolute, false);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        Optional<BasicFileAttributes> attributes = attributes(file);
        if (attributes.isEmpty() || !attributes.get().isRegularFile()) {
            return Optional.empty();
        }
        try (SeekableByteChannel channel = Files.newByteChannel(file, Set.<OpenOption>of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            if (channel.size() > MAX_READ_BYTES) {
                throw new IOException(absolute + " in the image is larger than " + MAX_READ_BYTES / 1024 + " KiB");
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) channel.size());
            int read = 0;
            while (buffer.hasRemaining() && read >= 0) {
                read = channel.read(buffer);
            }
            return Optional.of(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8));
        }
    }

    /**
     * The path of {@code absolute} in the root, each directory on the way checked (and, when {@code create}, made).
     * The caller's rules ({@code NodeFileRules}) already refused {@code .} and {@code ..} components.
     */
    private Path place(String absolute, boolean create) throws IOException {
        String[] components = absolute.substring(1).split("/");
        Path directory = root;
        for (int i = 0; i < components.length - 1; i++) {
            Path next = directory.resolve(components[i]);
            Optional<BasicFileAttributes> attributes = attributes(next);
            if (attributes.isEmpty()) {
                if (!create) {
                    throw new NoSuchFileException(absolute);
                }
                try {
                    Files.createDirectory(next, PosixFilePermissions.asFileAttribute(DIRECTORY_MODE));
                } catch (FileAlreadyExistsException e) {
                    throw new IOException("/" + root.relativize(next) + " appeared while the agent made it");
                }
                Files.setAttribute(next, "unix:uid", 0, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(next, "unix:gid", 0, LinkOption.NOFOLLOW_LINKS);
                Files.setPosixFilePermissions(next, DIRECTORY_MODE);
            } else if (attributes.get().isSymbolicLink()) {
                throw new IOException("/" + root.relativize(next) + " is a symbolic link in the image, and node files are not"
                        + " written through links");
            } else if (!attributes.get().isDirectory()) {
                throw new IOException("/" + root.relativize(next) + " is not a directory in the image");
            }
            directory = next;
        }
        return directory.resolve(components[components.length - 1]);
    }

    private static Optional<BasicFileAttributes> attributes(Path path) throws IOException {
        try {
            return Optional.of(Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }
}
