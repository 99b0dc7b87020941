package dev.tether.operator.persistence;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nodes' encrypted archives on the operator's own volume: {@code <root>/<namespace>/<credential uid>/<generation>.tpa}.
 * The operator never decrypts them, and nothing else serves them: edges and the origin never hold a copy. An archive
 * is written beside its place, synced, renamed and its directory synced before the new generation is recorded, so a
 * crash at any point leaves the previous archive readable.
 */
public final class PersistenceStore {
    private static final Logger LOG = LoggerFactory.getLogger(PersistenceStore.class);
    private static final String SUFFIX = ".tpa";
    private static final String PARTIAL_PREFIX = ".partial-";
    private static final Pattern SEGMENT = Pattern.compile("[a-z0-9][a-z0-9.-]{0,252}");

    private final Path root;

    public PersistenceStore(Path root) throws IOException {
        this.root = Files.createDirectories(root);
        removePartials();
    }

    /** The archive of {@code generation}, opened for reading, or empty when it is not there. */
    public Optional<FileChannel> open(String namespace, String credentialUid, long generation) throws IOException {
        try {
            return Optional.of(FileChannel.open(archive(namespace, credentialUid, generation), StandardOpenOption.READ));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** Bytes the volume can still take. */
    public long usableBytes() throws IOException {
        return Files.getFileStore(root).getUsableSpace();
    }

    /** Starts writing the archive of {@code generation}; it is not visible until {@link Upload#commit}. */
    public Upload begin(String namespace, String credentialUid, long generation) throws IOException {
        Path dir = Files.createDirectories(node(namespace, credentialUid));
        Path partial = dir.resolve(PARTIAL_PREFIX + generation + "-" + UUID.randomUUID());
        return new Upload(partial, archive(namespace, credentialUid, generation),
                FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
    }

    /** Deletes the node's archives other than {@code keep}, once {@code keep} is the recorded generation. */
    public void prune(String namespace, String credentialUid, long keep) {
        Path dir = node(namespace, credentialUid);
        String kept = keep + SUFFIX;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path file : files) {
                if (!file.getFileName().toString().equals(kept)) {
                    Files.deleteIfExists(file);
                }
            }
        } catch (IOException e) {
            LOG.warn("could not remove the older archives in {}: {}", dir, e.toString());
        }
    }

    /** One archive being received. Not thread-safe: written by one thread at a time. */
    public static final class Upload implements AutoCloseable {
        private final Path partial;
        private final Path target;
        private final FileChannel channel;
        private long bytes;
        private boolean done;

        private Upload(Path partial, Path target, FileChannel channel) {
            this.partial = partial;
            this.target = target;
            this.channel = channel;
        }

        public void write(ByteBuffer buffer) throws IOException {
            while (buffer.hasRemaining()) {
                bytes += channel.write(buffer);
            }
        }

        public long bytes() {
            return bytes;
        }

        /** Makes the archive durable under its generation's name. */
        public void commit() throws IOException {
            channel.force(true);
            channel.close();
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
                dir.force(true);
            }
            done = true;
        }

        /** Drops what was received (a refused or broken upload); nothing of it stays. */
        @Override
        public void close() {
            if (done) {
                return;
            }
            done = true;
            try {
                channel.close();
                Files.deleteIfExists(partial);
            } catch (IOException e) {
                LOG.warn("could not remove the partial archive {}: {}", partial, e.toString());
            }
        }
    }

    private Path node(String namespace, String credentialUid) {
        if (!SEGMENT.matcher(namespace).matches() || !SEGMENT.matcher(credentialUid).matches()) {
            throw new IllegalArgumentException("not a namespace and credential uid: " + namespace + "/" + credentialUid);
        }
        return root.resolve(namespace).resolve(credentialUid);
    }

    private Path archive(String namespace, String credentialUid, long generation) {
        return node(namespace, credentialUid).resolve(generation + SUFFIX);
    }

    /** Uploads cut off by a restart: never committed, never to be served. */
    private void removePartials() throws IOException {
        try (var walk = Files.walk(root, 3)) {
            for (Path file : (Iterable<Path>) walk::iterator) {
                if (file.getFileName() != null && file.getFileName().toString().startsWith(PARTIAL_PREFIX)) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }
}
