package dev.tether.agent.persistence;

import dev.tether.agent.AgentConsole;
import dev.tether.agent.trust.NodeApiClient;
import dev.tether.agent.trust.NodeApiRefusal;
import dev.tether.nodeapi.PersistenceKey;
import dev.tether.nodeapi.PersistencePaths;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The boot's side of selective persistence, run in the initramfs once the overlay is up and before anything else
 * writes into the new root: get the node's persistence key (with the API key), fetch its newest archive, check the
 * whole of it (every chunk's tag, the node and the generation) before a byte is restored, restore it, then leave the
 * running node what its saver needs ({@link PersistenceSession}) and install the saver's systemd units.
 *
 * <p>When anything fails (the node API, an archive that is not this node's newest, a kept path through a link) the
 * node boots with its image's files, and <em>no saver is armed</em>: a save would otherwise replace the stored archive
 * with those defaults. The archive stays with the operator for the next boot.
 */
public final class NodePersistence {
    /** Under the agent's run directory: {@code /run/tether/persistence}, which the init moves into the new root. */
    public static final String SESSION_DIR = "persistence";
    private static final String INCOMING = "incoming.tpa";

    private final Path sessionDir;
    private final AgentConsole console;

    /** @param sessionDir where the session goes ({@code /run/tether/persistence}) */
    public NodePersistence(Path sessionDir, AgentConsole console) {
        this.sessionDir = sessionDir;
        this.console = console;
    }

    /** What the boot did, for its console line and tests. */
    public record Result(boolean armed, long generation, Optional<Restore.Report> restored) {
        static final Result NOT_ARMED = new Result(false, 0, Optional.empty());
    }

    /**
     * @param key   the node's persistence key, from {@code persistence-key} (null when it could not be had: nothing kept)
     * @param caPem the one CA certificate the boot's key was enrolled through: the saver trusts it alone
     * @param paths the kept paths from the boot configuration
     */
    public Result restore(NodeApiClient api, Optional<PersistenceKey> key, String caPem, List<URI> nodeApi, Path target,
            List<String> paths) {
        if (paths.isEmpty() || key.isEmpty()) {
            return Result.NOT_ARMED;
        }
        List<String> kept;
        try {
            kept = PersistencePaths.normalise(paths);
        } catch (IllegalArgumentException e) {
            console.warn("persistence: nothing is kept on this node: " + e.getMessage());
            return Result.NOT_ARMED;
        }
        PersistenceKey grant = key.get();
        byte[] nodeKey = HexFormat.of().parseHex(grant.keyHex());
        Path incoming = sessionDir.resolve(INCOMING);
        try {
            SessionDirs.create(sessionDir);
            String digest = null;
            Optional<Restore.Report> report = Optional.empty();
            if (grant.generation() > 0) {
                Optional<Long> generation = api.downloadArchive(grant.token(), incoming, grant.maxBytes());
                if (generation.isEmpty() || generation.get() != grant.generation()) {
                    throw new ArchiveRefusedException("the node API served generation " + generation.orElse(0L) + " where it"
                            + " recorded " + grant.generation());
                }
                // The whole archive is checked first: a tampered one restores nothing, not half of itself.
                try (InputStream opened = open(incoming, nodeKey, api, grant.generation())) {
                    SealedArchive.verify(opened);
                }
                MessageDigest sha256 = sha256();
                try (InputStream opened = new DigestInputStream(open(incoming, nodeKey, api, grant.generation()), sha256)) {
                    report = Optional.of(new Restore(target, kept).apply(opened));
                    opened.transferTo(OutputStream.nullOutputStream());
                }
                digest = HexFormat.of().formatHex(sha256.digest());
                Restore.Report r = report.get();
                console.info("persistence: restored generation " + grant.generation() + " of " + kept.size() + " kept path"
                        + (kept.size() == 1 ? "" : "s") + " (" + r.restored() + " entries)");
                if (r.refused() > 0) {
                    console.warn("persistence: refused " + r.refused() + " archive entries that reach outside the kept paths or"
                            + " through a link: " + String.join(", ", r.refusedNames()));
                }
                if (r.attributesNotSet() > 0) {
                    console.warn("persistence: " + r.attributesNotSet() + " extended attributes could not be set on the"
                            + " writable layer");
                }
            } else {
                console.info("persistence: no archive stored yet for " + kept.size() + " kept path" + (kept.size() == 1 ? "" : "s"));
            }
            Files.writeString(sessionDir.resolve(PersistenceSession.CA_FILE), caPem);
            boolean units = SaverUnits.install(target, Duration.ofSeconds(grant.saveIntervalSeconds()));
            if (!units) {
                console.warn("persistence: the image has no systemd, so nothing saves the kept paths by itself; run "
                        + SaverUnits.AGENT + " persistence save from cron and at shutdown");
            }
            new PersistenceSession(api.namespace(), api.node(), List.copyOf(nodeApi), grant.token(),
                    grant.keyHex(), grant.generation(), grant.maxBytes(), grant.saveIntervalSeconds(), kept, digest).write(sessionDir);
            return new Result(true, grant.generation(), report);
        } catch (IOException | NodeApiRefusal e) {
            console.warn("persistence: this node boots without its kept paths, and saves nothing until its next boot, so the"
                    + " archive with the operator stays as it is: " + e.getMessage());
            return Result.NOT_ARMED;
        } finally {
            Arrays.fill(nodeKey, (byte) 0);
            try {
                Files.deleteIfExists(incoming);
            } catch (IOException e) {
                console.warn("persistence: could not remove " + incoming + ": " + e.getMessage());
            }
        }
    }

    private static InputStream open(Path file, byte[] key, NodeApiClient api, long generation) throws IOException {
        return SealedArchive.open(new BufferedInputStream(Files.newInputStream(file), 1 << 16), key, api.namespace(), api.node(),
                generation);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
