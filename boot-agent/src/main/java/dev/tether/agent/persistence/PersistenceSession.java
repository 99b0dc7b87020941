package dev.tether.agent.persistence;

import dev.tether.nodeapi.NodeApiJson;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * What the node's own saver needs, written by the boot into {@code /run/tether/persistence/session.json} (the
 * initramfs's {@code /run}, which the init moves into the new root): the node, the node API's URLs, this boot's token,
 * the archive key, the generation stored, the limits and the kept paths. Only root reads it (0600 in a 0700 directory).
 * The API key is not in it: the saver needs only the token, which authenticates this node's archive and nothing else,
 * and root on the node can read and write every kept file anyway. The node API's CA certificate lies beside it.
 *
 * @param lastSavedSha256 SHA-256 of the archive's plaintext last stored (or restored), hex; a save of the same is skipped
 */
public record PersistenceSession(String namespace, String node, List<URI> nodeApi, String token, String keyHex,
        long generation, long maxBytes, long saveIntervalSeconds, List<String> paths, String lastSavedSha256) {
    public static final String FILE = "session.json";
    public static final String CA_FILE = "node-api-ca.pem";

    public static PersistenceSession read(Path dir) throws IOException {
        return NodeApiJson.JSON.beanFrom(PersistenceSession.class, Files.readAllBytes(dir.resolve(FILE)));
    }

    /** Written beside its place and renamed, so a saver never reads half of it. */
    public void write(Path dir) throws IOException {
        SessionDirs.create(dir);
        Path temp = dir.resolve(FILE + ".new");
        Files.deleteIfExists(temp);
        Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(temp, NodeApiJson.JSON.asBytes(this));
        Files.move(temp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    PersistenceSession saved(long newGeneration, String sha256) {
        return new PersistenceSession(namespace, node, nodeApi, token, keyHex, newGeneration, maxBytes, saveIntervalSeconds, paths,
                sha256);
    }

    @Override
    public String toString() {
        return "PersistenceSession[" + namespace + "/" + node + ", generation " + generation + ", token and key redacted]";
    }
}
