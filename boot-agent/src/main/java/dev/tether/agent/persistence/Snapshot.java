package dev.tether.agent.persistence;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes the kept paths under a root as a tar: {@link KeptPaths} first, then each kept path's tree, parents before
 * children, never following a symbolic link (a link is kept as a link). Files, directories and links are kept with
 * owner, mode, time and extended attributes; sockets, FIFOs and devices are skipped and counted (the kernel and
 * services make them afresh). Each file is read as it is at that moment: a file written meanwhile may be caught half
 * way, as with any tar of a live system; services whose data must be consistent should be stopped before a final save.
 */
final class Snapshot {
    private final Path root;
    private final List<String> kept;
    private long entries;
    private long skipped;

    /** @param kept absolute kept paths, checked ({@code PersistencePaths.normalise}) */
    Snapshot(Path root, List<String> kept) {
        this.root = root;
        this.kept = kept;
    }

    /** The counts of what was written and skipped. */
    record Counts(long entries, long skipped) {
    }

    Counts write(OutputStream plaintext) throws IOException {
        try (TarWriter tar = new TarWriter(plaintext)) {
            byte[] list = KeptPaths.encode(kept);
            tar.write(new TarEntry(KeptPaths.ENTRY, TarEntry.Type.FILE, 0600, 0, 0, 0, null, list.length, Map.of()),
                    new ByteArrayInputStream(list));
            for (String path : kept) {
                Path start = root.resolve(path.substring(1));
                if (linkOnTheWay(start)) {
                    skipped++;
                    continue;
                }
                if (!Files.exists(start, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                Files.walkFileTree(start, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                        return add(tar, dir) ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                        add(tar, file);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                        if (e instanceof NoSuchFileException) {
                            return FileVisitResult.CONTINUE; // deleted while the tree was walked
                        }
                        throw e;
                    }
                });
            }
        }
        return new Counts(entries, skipped);
    }

    /** A parent of a kept path that is a link would lead the archive elsewhere than the kept path: not followed. */
    private boolean linkOnTheWay(Path start) {
        List<Path> parents = new ArrayList<>();
        for (Path p = start.getParent(); p != null && p.startsWith(root) && !p.equals(root); p = p.getParent()) {
            parents.add(p);
        }
        return parents.stream().anyMatch(Files::isSymbolicLink);
    }

    private boolean add(TarWriter tar, Path file) throws IOException {
        Map<String, Object> attrs;
        try {
            attrs = Files.readAttributes(file, "unix:mode,uid,gid,lastModifiedTime,size,isDirectory,isRegularFile,isSymbolicLink",
                    LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return false;
        }
        String name = root.relativize(file).toString();
        int mode = (Integer) attrs.get("mode");
        int uid = (Integer) attrs.get("uid");
        int gid = (Integer) attrs.get("gid");
        long mtime = ((FileTime) attrs.get("lastModifiedTime")).toMillis() / 1000;
        if ((Boolean) attrs.get("isSymbolicLink")) {
            tar.write(new TarEntry(name, TarEntry.Type.SYMLINK, 0777, uid, gid, mtime, Files.readSymbolicLink(file).toString(), 0,
                    Map.of()), InputStream.nullInputStream());
        } else if ((Boolean) attrs.get("isDirectory")) {
            tar.write(new TarEntry(name, TarEntry.Type.DIRECTORY, mode & 07777, uid, gid, mtime, null, 0, PosixMetadata.read(file)),
                    InputStream.nullInputStream());
        } else if ((Boolean) attrs.get("isRegularFile")) {
            try (InputStream content = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                tar.write(new TarEntry(name, TarEntry.Type.FILE, mode & 07777, uid, gid, mtime, null, (Long) attrs.get("size"),
                        PosixMetadata.read(file)), content);
            } catch (NoSuchFileException e) {
                return false;
            }
        } else {
            skipped++;
            return false;
        }
        entries++;
        return true;
    }
}
