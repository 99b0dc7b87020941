package dev.tether.agent.persistence;

import dev.tether.nodeapi.PersistencePaths;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Puts a kept-paths archive back under the new root, before its init runs. The agent runs in the initramfs, where the
 * new root is only a directory: a link in it that points anywhere absolute leads out of it into the agent's own files.
 * So nothing is ever written through a link: every directory on an entry's way must be a real directory, and entries are
 * created with {@code O_EXCL|O_NOFOLLOW} semantics (a link in the archive is made as a link, never followed). An entry
 * whose name is absolute, is not normalised ({@code ..}, {@code .}, empty components) or lies outside the kept paths is
 * refused and counted; the rest is restored. The archive's AEAD was checked whole before this runs, so such an entry
 * was put there by the node itself (by its root user): it must not reach beyond what the profile keeps.
 */
public final class Restore {
    private final Path root;
    private final List<String> keptNow;

    /** What was restored, and what was refused (the first few by name). */
    public record Report(long restored, long refused, List<String> refusedNames, long attributesNotSet) {
        static final int NAMED = 5;
    }

    /** @param keptNow the absolute paths the profile keeps now, checked */
    Restore(Path root, List<String> keptNow) {
        this.root = root;
        this.keptNow = keptNow;
    }

    Report apply(InputStream plaintext) throws IOException {
        TarReader tar = new TarReader(plaintext);
        Optional<TarEntry> first = tar.next();
        if (first.isEmpty() || !first.get().name().equals(KeptPaths.ENTRY) || first.get().type() != TarEntry.Type.FILE
                || first.get().size() > KeptPaths.MAX_BYTES) {
            throw new IOException("the archive does not start with its list of kept paths (" + KeptPaths.ENTRY + ")");
        }
        List<String> listed = KeptPaths.decode(tar.content().readAllBytes());
        List<String> restoring = keptNow.stream().filter(listed::contains).toList();
        for (String path : restoring) {
            clear(path);
        }
        long restored = 0;
        long refused = 0;
        long attributesNotSet = 0;
        List<String> refusedNames = new ArrayList<>();
        List<Map.Entry<Path, Long>> directoryTimes = new ArrayList<>();
        for (Optional<TarEntry> next = tar.next(); next.isPresent(); next = tar.next()) {
            TarEntry entry = next.get();
            Optional<String> why = whyRefused(entry, restoring);
            if (why.isPresent()) {
                refused++;
                if (refusedNames.size() < Report.NAMED) {
                    refusedNames.add(printable(entry.name()) + " (" + why.get() + ")");
                }
                continue;
            }
            Path place = root.resolve(entry.name());
            switch (entry.type()) {
                case DIRECTORY -> {
                    if (!Files.isDirectory(place, LinkOption.NOFOLLOW_LINKS)) {
                        Files.createDirectory(place);
                    }
                    directoryTimes.add(Map.entry(place, entry.mtimeSeconds()));
                }
                case FILE -> {
                    Files.deleteIfExists(place);
                    try (OutputStream out = Files.newOutputStream(place, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                            LinkOption.NOFOLLOW_LINKS)) {
                        tar.content().transferTo(out);
                    }
                }
                case SYMLINK -> {
                    Files.deleteIfExists(place);
                    Files.createSymbolicLink(place, Path.of(entry.linkTarget()));
                }
                default -> throw new IllegalStateException("refused above");
            }
            Files.setAttribute(place, "unix:uid", entry.uid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(place, "unix:gid", entry.gid(), LinkOption.NOFOLLOW_LINKS);
            if (entry.type() != TarEntry.Type.SYMLINK) {
                // After the owner (a change of owner clears set-id bits and capabilities), before the capabilities.
                PosixMetadata.chmod(place, entry.mode());
                for (Map.Entry<String, byte[]> xattr : entry.xattrs().entrySet()) {
                    if (!PosixMetadata.write(place, xattr.getKey(), xattr.getValue())) {
                        attributesNotSet++;
                    }
                }
            }
            if (entry.type() != TarEntry.Type.DIRECTORY) {
                setTime(place, entry.mtimeSeconds());
            }
            restored++;
        }
        // Last, and children first: writing into a directory changes its time.
        for (int i = directoryTimes.size() - 1; i >= 0; i--) {
            setTime(directoryTimes.get(i).getKey(), directoryTimes.get(i).getValue());
        }
        return new Report(restored, refused, List.copyOf(refusedNames), attributesNotSet);
    }

    /** Why this entry may not be written, or empty. */
    private Optional<String> whyRefused(TarEntry entry, List<String> restoring) throws IOException {
        String name = entry.name();
        if (entry.type() == TarEntry.Type.OTHER) {
            return Optional.of("not a file, directory or symbolic link");
        }
        if (name.isEmpty() || name.startsWith("/")) {
            return Optional.of("an absolute name");
        }
        for (String component : name.split("/", -1)) {
            if (component.isEmpty() || component.equals(".") || component.equals("..")) {
                return Optional.of("not a normalised name");
            }
        }
        if (name.indexOf('\0') >= 0) {
            return Optional.of("a NUL in its name");
        }
        if (!PersistencePaths.covers(restoring, name)) {
            return Optional.of("outside the kept paths");
        }
        // Every directory on the way must be a real one: never a link, which would lead out of the root.
        Path parent = root;
        String[] components = name.split("/");
        for (int i = 0; i < components.length - 1; i++) {
            parent = parent.resolve(components[i]);
            BasicFileAttributes attrs;
            try {
                attrs = Files.readAttributes(parent, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                if (PersistencePaths.covers(restoring, root.relativize(parent).toString())) {
                    return Optional.of("its directory is not in the archive before it");
                }
                Files.createDirectory(parent); // a parent of a kept path the image lacks
                continue;
            }
            if (!attrs.isDirectory() || attrs.isSymbolicLink()) {
                return Optional.of("/" + root.relativize(parent) + " on its way is a symbolic link or not a directory");
            }
        }
        Path place = root.resolve(name);
        if (Files.isDirectory(place, LinkOption.NOFOLLOW_LINKS) && entry.type() != TarEntry.Type.DIRECTORY) {
            return Optional.of("a directory is in its place");
        }
        return Optional.empty();
    }

    /** Removes a kept path as the image or the overlay has it, so only the archive's files are there afterwards. */
    private void clear(String kept) throws IOException {
        Path start = root.resolve(kept.substring(1));
        for (Path p = start.getParent(); p != null && !p.equals(root); p = p.getParent()) {
            if (Files.isSymbolicLink(p)) {
                throw new IOException("the kept path " + kept + " passes through the symbolic link /" + root.relativize(p)
                        + " in the image; keep the path it points to instead");
            }
        }
        if (!Files.exists(start, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(start, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                try {
                    Files.delete(dir);
                } catch (DirectoryNotEmptyException notEmpty) {
                    throw new IOException("cannot clear " + dir + " before restoring it", notEmpty);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void setTime(Path place, long seconds) throws IOException {
        Files.getFileAttributeView(place, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(FileTime.fromMillis(seconds * 1000), null, null);
    }

    private static String printable(String name) {
        StringBuilder out = new StringBuilder();
        name.codePoints().limit(200).forEach(c -> out.append(c < 0x20 || c == 0x7f ? "?" : Character.toString(c)));
        return out.toString();
    }
}
