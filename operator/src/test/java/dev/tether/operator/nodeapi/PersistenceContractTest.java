package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.AgentConsole;
import dev.tether.agent.persistence.NodePersistence;
import dev.tether.agent.persistence.PersistenceSession;
import dev.tether.agent.persistence.Saver;
import dev.tether.agent.trust.ApiKey;
import dev.tether.agent.trust.NodeApiClient;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Selective persistence end to end without a VM: the agent's own boot-time restore and running-node saver, on real
 * files in temporary roots, against the operator's node API over TLS. A node's kept files survive its "reboot" (a
 * fresh root), files outside the kept paths do not, another node gets nothing of them, and an archive altered or
 * rolled back on the operator's volume is refused by the node before anything is restored, and then not saved over.
 */
class PersistenceContractTest extends NodeApiTestBase {
    private static final List<String> KEPT = List.of("/var/lib/slurm");

    @TempDir
    Path temp;

    private final ByteArrayOutputStream consoleBytes = new ByteArrayOutputStream();
    private final AgentConsole console = new AgentConsole(new PrintStream(consoleBytes, true, StandardCharsets.UTF_8),
            Optional.empty(), false);

    @BeforeEach
    void cluster() throws Exception {
        profile("compute", "bookworm");
    }

    @Test
    void keptFilesSurviveARebootOfTheirNodeAndNothingElseDoes() throws Exception {
        Node node = new Node("node-001");
        Path firstRoot = node.boot("first");
        assertThat(Files.readString(firstRoot.resolve("etc/systemd/system/tether-persistence.service")))
                .contains("ExecStop=/usr/lib/tether/agent/bin/tether-agent persistence save --final");
        assertThat(Files.readSymbolicLink(firstRoot.resolve("etc/systemd/system/timers.target.wants/tether-persistence-save.timer")))
                .isEqualTo(Path.of("/etc/systemd/system/tether-persistence-save.timer"));
        Files.writeString(Files.createDirectories(firstRoot.resolve("var/lib/slurm")).resolve("job_state"), "job 4711\n");
        Files.writeString(firstRoot.resolve("etc/scratch"), "not kept\n");

        assertThat(node.save(firstRoot)).isEqualTo(Saver.Outcome.SAVED);
        assertThat(node.save(firstRoot)).as("nothing changed").isEqualTo(Saver.Outcome.UNCHANGED);

        Path secondRoot = node.boot("second");
        assertThat(secondRoot.resolve("var/lib/slurm/job_state")).hasContent("job 4711");
        assertThat(secondRoot.resolve("etc/scratch")).doesNotExist();
        assertThat(node.session().generation()).isEqualTo(1);
        assertThat(node.save(secondRoot)).as("restored as saved").isEqualTo(Saver.Outcome.UNCHANGED);

        // What the operator's volume holds is ciphertext: the file's content appears nowhere in it.
        assertThat(new String(storedArchive("node-001"), StandardCharsets.ISO_8859_1)).doesNotContain("job 4711").doesNotContain("job_state");
        assertThat(consoleBytes.toString(StandardCharsets.UTF_8)).doesNotContain("tk_").doesNotContain(node.session().token());
    }

    @Test
    void anotherNodeGetsNoneOfIt() throws Exception {
        Node node = new Node("node-001");
        Path root = node.boot("first");
        Files.writeString(Files.createDirectories(root.resolve("var/lib/slurm")).resolve("job_state"), "node-001's job\n");
        node.save(root);

        Node other = new Node("node-002");
        Path otherRoot = other.boot("other");

        assertThat(otherRoot.resolve("var/lib/slurm")).doesNotExist();
        assertThat(other.session().generation()).isZero();
        // Even its own token on the first node's archive is refused.
        assertThat(api.get(NAMESPACE, "node-001", dev.tether.nodeapi.NodeApi.PERSISTENCE, other.session().token()).status())
                .isEqualTo(401);
    }

    @Test
    void anArchiveRolledBackOnTheOperatorsVolumeIsRefusedAndNotSavedOver() throws Exception {
        Node node = new Node("node-001");
        Path root = node.boot("first");
        Path job = Files.createDirectories(root.resolve("var/lib/slurm")).resolve("job_state");
        Files.writeString(job, "old\n");
        node.save(root);
        byte[] generationOne = storedArchive("node-001");
        Files.writeString(job, "new\n");
        node.save(root);
        Files.write(storedFile("node-001"), generationOne);

        Path rebooted = node.boot("rolled-back");

        assertThat(rebooted.resolve("var/lib/slurm")).doesNotExist();
        assertThat(consoleBytes.toString(StandardCharsets.UTF_8)).contains("generation 1 where the operator records 2")
                .contains("saves nothing until its next boot");
        assertThat(node.sessionDir.resolve(PersistenceSession.FILE)).doesNotExist();
    }

    @Test
    void anAlteredArchiveRestoresNothing() throws Exception {
        Node node = new Node("node-001");
        Path root = node.boot("first");
        Files.writeString(Files.createDirectories(root.resolve("var/lib/slurm")).resolve("job_state"), "x".repeat(200_000));
        node.save(root);
        byte[] stored = storedArchive("node-001");
        stored[stored.length - 5] ^= 1;
        Files.write(storedFile("node-001"), stored);

        Path rebooted = node.boot("altered");

        // The first chunks were intact, but the archive is checked whole before a byte is restored.
        assertThat(rebooted.resolve("var/lib/slurm")).doesNotExist();
        assertThat(consoleBytes.toString(StandardCharsets.UTF_8)).contains("was altered, moved or cut short");
        assertThat(node.sessionDir.resolve(PersistenceSession.FILE)).doesNotExist();
    }

    private byte[] storedArchive(String credential) throws Exception {
        return Files.readAllBytes(storedFile(credential));
    }

    private Path storedFile(String credential) throws Exception {
        NodeCredential c = harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName(credential).get();
        Path dir = harness.persistenceDir.resolve(NAMESPACE).resolve(c.getMetadata().getUid());
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".tpa")).findFirst().orElseThrow();
        }
    }

    /** One machine: its API key, and a fresh root and session directory at every boot, as a reboot leaves it. */
    private final class Node {
        final String name;
        final ApiKey key;
        final NodeApiClient client;
        Path sessionDir;

        Node(String name) throws Exception {
            this.name = name;
            create(credential(name, "compute", Arming.ONCE));
            this.key = ApiKey.of(fetchKey(name));
            this.client = agentClient(name, Files.createDirectories(temp.resolve(name)), console);
        }

        Path boot(String label) throws Exception {
            Path root = Files.createDirectories(temp.resolve(name + "-" + label + "/root"));
            // The image: systemd, so the saver's units are installed.
            Files.createDirectories(root.resolve("usr/lib/systemd"));
            Files.writeString(root.resolve("usr/lib/systemd/systemd"), "");
            sessionDir = temp.resolve(name + "-" + label + "/run/tether/persistence");
            var key = Optional.of(client.persistenceKey(this.key));
            new NodePersistence(sessionDir, console).restore(client, key, harness.operator().trust().clusterCa().certificatePem(),
                    List.of(URI.create("https://127.0.0.1:" + server.address().getPort())), root, KEPT);
            return root;
        }

        Saver.Outcome save(Path root) throws Exception {
            return new Saver(sessionDir, root, session -> client, console).save();
        }

        PersistenceSession session() throws Exception {
            return PersistenceSession.read(sessionDir);
        }
    }
}
