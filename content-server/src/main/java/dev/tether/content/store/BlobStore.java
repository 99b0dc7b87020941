package dev.tether.content.store;

import dev.tether.contracts.BlobDigest;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The origin's content-addressed store: {@code <root>/blobs/sha256/<hex>}. A file under that name is
 * always complete and verified, because uploads are written to a dot-named temporary file in the
 * same directory and renamed into place only after their digest matched.
 */
public final class BlobStore implements BlobSource {
    private static final Logger log = LoggerFactory.getLogger(BlobStore.class);
    static final String TEMP_PREFIX = ".upload-";

    private final Path dir;

    private BlobStore(Path dir) {
        this.dir = dir;
    }

    /** Opens (creating if needed) a store and removes uploads that a crash left behind. */
    public static BlobStore open(Path root) throws IOException {
        Path dir = root.resolve("blobs").resolve("sha256");
        Files.createDirectories(dir);
        if (!Files.isWritable(dir)) {
            throw new IOException("store directory " + dir + " is not writable");
        }
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(dir, TEMP_PREFIX + "*")) {
            for (Path p : leftovers) {
                Files.deleteIfExists(p);
                log.info("removed an unfinished upload left by an earlier run: {}", p.getFileName());
            }
        }
        return new BlobStore(dir);
    }

    public Path directory() {
        return dir;
    }

    /** The path a digest is stored under; the digest's strict format keeps it inside the store. */
    public Path pathOf(BlobDigest digest) {
        return dir.resolve(digest.hex());
    }

    public boolean contains(BlobDigest digest) {
        return Files.isRegularFile(pathOf(digest));
    }

    @Override
    public CompletableFuture<ServableBlob> open(BlobDigest digest, boolean onlyIfCached) {
        Path path = pathOf(digest);
        try {
            long size = Files.readAttributes(path, BasicFileAttributes.class).size();
            return CompletableFuture.completedFuture(new StoredBlob(path, size, () -> { }));
        } catch (NoSuchFileException e) {
            return CompletableFuture.completedFuture(null);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public List<StoredBlobInfo> list() {
        List<StoredBlobInfo> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path p : files) {
                BlobDigest d = BlobDigest.ofHexOrNull(p.getFileName().toString());
                if (d != null) {
                    try {
                        out.add(new StoredBlobInfo(d, Files.size(p)));
                    } catch (NoSuchFileException deletedMeanwhile) {
                        // a concurrent DELETE; not listed
                    }
                }
            }
        } catch (IOException e) {
            log.warn("cannot list {}: {}", dir, e.toString());
        }
        return out;
    }

    /** Starts an upload into a temporary file beside the final one, so the rename is atomic. */
    public Upload beginUpload(BlobDigest digest, long declaredLength) throws IOException {
        Path temp = Files.createTempFile(dir, TEMP_PREFIX + digest.hex() + "-", "");
        return new Upload(this, digest, declaredLength, temp);
    }

    /** Removes a blob; readers that already opened it finish reading the unlinked file. */
    public boolean delete(BlobDigest digest) throws IOException {
        return Files.deleteIfExists(pathOf(digest));
    }
}
