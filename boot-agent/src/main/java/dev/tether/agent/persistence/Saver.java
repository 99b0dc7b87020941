package dev.tether.agent.persistence;

import dev.tether.agent.AgentConsole;
import dev.tether.agent.trust.NodeApiClient;
import dev.tether.agent.trust.NodeApiRefusal;
import dev.tether.nodeapi.PersistenceSaved;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Function;

/**
 * One save of the kept paths, as the running node's saver makes it ({@code tether-agent persistence save}, from the
 * timer and at shutdown): tar the paths, seal them for the next generation into a spool file beside the session (never
 * larger than the node's limit), skip the upload when nothing changed since the last save, else upload it and record
 * the new generation. Saves of one node never overlap: they hold a lock on the session's directory.
 */
public final class Saver {
    private static final String SPOOL = "outgoing.tpa";
    private static final String LOCK = "lock";

    private final Path sessionDir;
    private final Path root;
    private final Function<PersistenceSession, NodeApiClient> clients;
    private final AgentConsole console;

    /** @param clients the node API client for a session (its URLs, pinned to the CA beside the session) */
    public Saver(Path sessionDir, Path root, Function<PersistenceSession, NodeApiClient> clients, AgentConsole console) {
        this.sessionDir = sessionDir;
        this.root = root;
        this.clients = clients;
        this.console = console;
    }

    public enum Outcome { SAVED, UNCHANGED }

    public Outcome save() throws IOException, NodeApiRefusal {
        try (FileChannel lockFile = FileChannel.open(sessionDir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockFile.lock()) {
            PersistenceSession session = PersistenceSession.read(sessionDir);
            Path spool = sessionDir.resolve(SPOOL);
            try {
                long next = session.generation() + 1;
                String digest = write(session, next, spool);
                if (digest.equals(session.lastSavedSha256())) {
                    console.info("persistence: the kept paths have not changed since generation " + session.generation());
                    return Outcome.UNCHANGED;
                }
                NodeApiClient api = clients.apply(session);
                PersistenceSaved saved;
                try {
                    saved = api.uploadArchive(session.token(), next, spool);
                } catch (NodeApiRefusal refusal) {
                    if (refusal.status() != 409 || !"StaleGeneration".equals(refusal.code())) {
                        throw refusal;
                    }
                    // An earlier save was stored but its answer lost: learn the stored generation and seal for the next.
                    Optional<Long> stored = api.downloadArchive(session.token(), spool, session.maxBytes());
                    next = stored.orElse(0L) + 1;
                    write(session, next, spool);
                    saved = api.uploadArchive(session.token(), next, spool);
                }
                session.saved(saved.generation(), digest).write(sessionDir);
                console.info("persistence: saved " + session.paths().size() + " kept path" + (session.paths().size() == 1 ? "" : "s")
                        + " as generation " + saved.generation() + " (" + saved.bytes() + " bytes, encrypted)");
                return Outcome.SAVED;
            } finally {
                Files.deleteIfExists(spool);
            }
        }
    }

    /** Seals the kept paths for {@code generation} into {@code spool}; returns the plaintext's SHA-256, hex. */
    private String write(PersistenceSession session, long generation, Path spool) throws IOException {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] key = HexFormat.of().parseHex(session.keyHex());
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(spool, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), 1 << 16);
             OutputStream sealed = SealedArchive.seal(new LimitedOutputStream(file, session.maxBytes()), key, session.namespace(),
                     session.node(), generation);
             OutputStream plaintext = new DigestOutputStream(sealed, sha256)) {
            new Snapshot(root, session.paths()).write(plaintext);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
        return HexFormat.of().formatHex(sha256.digest());
    }
}
