package dev.tether.agent.trust;

import dev.tether.agent.AgentConsole;
import dev.tether.agent.image.Backoff;
import dev.tether.nodeapi.BootConfiguration;
import dev.tether.nodeapi.NodeApi;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** A stand-in node API on loopback with a test CA, a client for it, and the console lines it printed. */
final class TrustFixture implements AutoCloseable {
    static final String NAMESPACE = "hpc";
    static final String NODE = "n1";
    static final String MAC = "52:54:00:12:34:56";
    static final Settings FAST = new Settings();

    /** Client settings that retry without waiting (the sleeper only records the pauses). */
    static final class Settings {
        NodeApiClient.Settings get(int rounds) {
            return new NodeApiClient.Settings(Duration.ofSeconds(5), Duration.ofSeconds(20), rounds,
                    new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(15)), Duration.ofSeconds(30));
        }
    }

    final TestPki pki;
    final Path caPem;
    final FakeNodeApi api;
    final List<Duration> pauses = new CopyOnWriteArrayList<>();
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    final AgentConsole console = new AgentConsole(new PrintStream(output, true, StandardCharsets.UTF_8), Optional.empty(), false);

    TrustFixture(Path temp, String... serverNames) throws Exception {
        java.nio.file.Files.createDirectories(temp);
        pki = new TestPki("Tether test cluster CA");
        caPem = pki.writeCaPem(temp.resolve("node-api-ca.pem"));
        api = new FakeNodeApi(pki.serverContext(serverNames.length == 0 ? new String[] {NodeApi.SERVER_NAME} : serverNames),
                temp);
    }

    /** The credential {@code hpc/n1} with this machine's MAC, and a boot configuration. */
    FakeNodeApi.Node credential(String arming, boolean armed) {
        FakeNodeApi.Node node = api.node(NAMESPACE, NODE);
        node.arming = arming;
        node.armed = armed;
        node.macs = List.of(MAC);
        node.config = new BootConfiguration(NAMESPACE, NODE, "n1.cluster.example", List.of("10.1.0.11"), "compute",
                "sha256:" + "ab".repeat(32), "untethered", List.of("http://127.0.0.1:9/"), List.of("quiet"),
                new BootConfiguration.WritableLayer(null, 256L << 20, "lz4"), List.of("/var/lib/kept"),
                "$6$salt$hash", new BootConfiguration.Ssh(null, List.of("ed25519"), List.of()), "preferred");
        return node;
    }

    NodeApiClient client(int rounds, URI... urls) throws Exception {
        return new NodeApiClient(urls.length == 0 ? List.of(api.url()) : List.of(urls), NAMESPACE, NODE,
                NodeApiTls.context(caPem, NodeApi.SERVER_NAME), FAST.get(rounds), pauses::add, console);
    }

    /** The addon archive's CA file as the agent reads it. */
    NodeApiCa ca() throws Exception {
        return NodeApiCa.read(caPem);
    }

    /** What a TPM holds after this fixture's node API issued {@code key}: the key bound to the fixture's CA. */
    byte[] enrolment(String key) {
        return new Enrolment(CaFingerprint.of(pki.ca()), ApiKey.of(key)).toSeal();
    }

    static HardwareIdentity hardware() {
        return new HardwareIdentity(List.of(MAC), Optional.empty());
    }

    String output() {
        return output.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        api.close();
    }
}
