package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.agent.AgentConsole;
import dev.tether.agent.image.Backoff;
import dev.tether.agent.trust.ApiKeyAcquisition;
import dev.tether.agent.trust.HardwareIdentity;
import dev.tether.agent.trust.HostKey;
import dev.tether.agent.trust.KeySource;
import dev.tether.agent.trust.NodeApiCa;
import dev.tether.agent.trust.NodeApiClient;
import dev.tether.agent.trust.NodeApiTls;
import dev.tether.agent.trust.TpmAccess;
import dev.tether.agent.trust.TpmPolicy;
import dev.tether.agent.trust.TrustException;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.nodeapi.BootReport;
import dev.tether.nodeapi.HostKeys;
import dev.tether.nodeapi.NodeApi;
import dev.tether.tpm.Swtpm;
import dev.tether.tpm.Tpm2;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node API with its one real client: the boot agent's trust code, against the operator's node API over TLS
 * and a real TPM (swtpm). A first boot takes its key from the network while the credential is armed and seals
 * it; the next boot (same TPM, PCRs reset) unseals it without asking; PCR 15 is locked after either; an empty
 * TPM with a disarmed credential stops with a message naming the credential.
 */
class AgentTrustContractTest extends NodeApiTestBase {
    @TempDir
    Path temp;

    private Swtpm tpm;
    private final ByteArrayOutputStream consoleBytes = new ByteArrayOutputStream();
    private final AgentConsole console = new AgentConsole(new PrintStream(consoleBytes, true, StandardCharsets.UTF_8),
            Optional.empty(), false);

    @BeforeAll
    static void needsSwtpm() {
        Swtpm.assumeAvailable();
    }

    @AfterEach
    void stopTpm() {
        if (tpm != null) {
            tpm.close();
        }
    }

    @Test
    void firstBootSealsTheNetworkKeyAndTheNextBootUnsealsIt() throws Exception {
        profile("compute", "bookworm");
        String imageKey = publishedImage("bookworm", DIGEST);
        create(credential("n1", "compute", Arming.ONCE));
        tpm = Swtpm.start(temp.resolve("tpm"));

        ApiKeyAcquisition.Result first = acquisition("n1").acquire(TpmPolicy.REQUIRED);
        assertThat(first.source()).isEqualTo(KeySource.NETWORK);
        assertThat(unsealedNow()).as("PCR 15 is extended: nothing after the initramfs can unseal").isEmpty();

        NodeApiClient api = client("n1");
        assertThat(api.bootConfiguration(first.key()).image()).isEqualTo(DIGEST);
        // The swtpm's EK was enrolled with this key, so the once arming is spent at the key's first use.
        eventually(() -> assertThat(status("n1").armed).as("once: disarmed after one key").isFalse());
        assertThat(api.imageKey(first.key(), DIGEST).keyHex()).isEqualTo(imageKey);
        HostKey hostKey = HostKey.generate("ed25519", new SecureRandom(), "root@n1");
        var certificates = api.signHostKeys(first.key(), new HostKeys(List.of(hostKey.publicKeyLine())));
        assertThat(certificates.certificates()).singleElement().asString().startsWith("ssh-ed25519-cert-v01@openssh.com ");
        assertThat(certificates.principals()).contains("n1." + NAMESPACE + ".tether.internal", "n1.cluster.example", "10.1.0.7");

        tpm.reboot();
        ApiKeyAcquisition.Result second = acquisition("n1").acquire(TpmPolicy.REQUIRED);
        assertThat(second.source()).as("the second boot unseals the key").isEqualTo(KeySource.TPM);
        assertThat(client("n1").bootConfiguration(second.key()).nodeName()).as("the unsealed key is the issued one").isEqualTo("n1");
        assertThat(status("n1").apiKey.issueCount).as("no second key was issued").isEqualTo(1);
        assertThat(unsealedNow()).isEmpty();

        var phases = new LinkedHashMap<String, Long>();
        phases.put("apikey", 120L);
        phases.put("image", 900L);
        client("n1").report(second.key(), new BootReport(DIGEST, "tethered", KeySource.TPM.value(), phases,
                new BootReport.Fetch(120, 2, 1, 0, 31_457_280, 20_971_520L),
                new BootReport.AgentMemory(60L << 20, 40L << 20, 12L << 20, 32L << 20, 48L << 20)));
        eventually(() -> {
            NodeCredentialStatus status = status("n1");
            assertThat(status.lastBoot.keySource).isEqualTo(NodeCredentialStatus.KeySource.TPM);
            assertThat(status.lastBoot.digest).isEqualTo(DIGEST);
            assertThat(status.lastBoot.phaseMillis).containsEntry("image", 900L);
            assertThat(status.lastBoot.fetch.requests).isEqualTo(120L);
            assertThat(status.lastBoot.fetch.bytes).isEqualTo(31_457_280L);
            assertThat(status.lastBoot.fetch.usefulBytes).isEqualTo(20_971_520L);
            assertThat(status.lastBoot.fetch.wastedBytes).isEqualTo(10_485_760L);
            assertThat(status.lastBoot.agentMemory.totalBytes).isEqualTo(100L << 20);
            assertThat(status.lastBoot.agentMemory.fileBytes).isEqualTo(40L << 20);
            assertThat(status.lastBoot.agentMemory.chunkCacheBytes).isEqualTo(12L << 20);
        });
        assertThat(consoleBytes.toString(StandardCharsets.UTF_8)).doesNotContain("tk_");
    }

    @Test
    void anEmptyTpmWithADisarmedCredentialStopsNamingTheCredential() throws Exception {
        profile("compute", "bookworm");
        create(credential("n2", "compute", Arming.DISARMED));
        tpm = Swtpm.start(temp.resolve("tpm"));

        assertThatThrownBy(() -> acquisition("n2").acquire(TpmPolicy.REQUIRED))
                .isInstanceOf(TrustException.class)
                .hasMessageContaining("n2")
                .hasMessageContaining(dev.tether.api.v1alpha1.NodeCredential.REARM_ANNOTATION);
        assertThat(unsealedNow()).as("locked on the failure path too").isEmpty();
        assertThat(status("n2").apiKey == null || status("n2").apiKey.issueCount == null
                || status("n2").apiKey.issueCount == 0).as("no key issued").isTrue();
    }

    private ApiKeyAcquisition acquisition(String node) throws Exception {
        return new ApiKeyAcquisition(client(node), NodeApiCa.read(temp.resolve("node-api-ca.pem")), TpmAccess.tcti(tpm.tcti()),
                () -> new HardwareIdentity(List.of(MAC), Optional.empty()), console);
    }

    private NodeApiClient client(String node) throws Exception {
        Path caPem = temp.resolve("node-api-ca.pem");
        Files.writeString(caPem, harness.operator().trust().clusterCa().certificatePem());
        URI url = URI.create("https://127.0.0.1:" + server.address().getPort());
        var settings = new NodeApiClient.Settings(Duration.ofSeconds(5), Duration.ofSeconds(20), 2,
                new Backoff(Duration.ofMillis(100), Duration.ofMillis(200)), Duration.ofSeconds(1));
        return new NodeApiClient(List.of(url), NAMESPACE, node, NodeApiTls.context(caPem, NodeApi.SERVER_NAME), settings,
                NodeApiClient.Sleeper.REAL, console);
    }

    /** What a process later in the same boot would get from the TPM. */
    private Optional<byte[]> unsealedNow() throws Exception {
        try (var store = Tpm2.open(tpm.tcti())) {
            return store.unseal();
        }
    }
}
