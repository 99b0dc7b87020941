package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.agent.AgentConsole;
import dev.tether.agent.trust.ApiKeyAcquisition;
import dev.tether.agent.trust.HardwareIdentity;
import dev.tether.agent.trust.KeySource;
import dev.tether.agent.trust.TpmAccess;
import dev.tether.agent.trust.TpmPolicy;
import dev.tether.agent.trust.TrustException;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.nodeapi.ApiKeyIssued;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.NodeApi;
import dev.tether.tpm.EndorsementKey;
import dev.tether.tpm.Swtpm;
import dev.tether.tpm.Tpm2;
import dev.tether.tpm.TpmException;
import dev.tether.tpm.TpmIdentity;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue bound to the node's TPM, against two real TPMs (swtpm, each manufactured with its own EK and EK certificate):
 * the administrator names the genuine TPM's EK, taken from its EK certificate, in {@code spec.endorsementKey}. The
 * genuine TPM recovers its key end to end through the node API; someone who knows the node name and its MAC but holds
 * another TPM, or none, gets no key and leaves the {@code once} arming in place; replaying the genuine EK's public area
 * gets an answer that no other TPM can open, and does not spend the arming either.
 */
class NodeApiEndorsementKeyTest extends NodeApiTestBase {
    @TempDir
    Path temp;

    private TwoTpms tpms;
    private Swtpm genuine;
    private Swtpm thief;
    private String genuineEk;
    private final ByteArrayOutputStream consoleBytes = new ByteArrayOutputStream();
    private final AgentConsole console = new AgentConsole(new PrintStream(consoleBytes, true, StandardCharsets.UTF_8),
            Optional.empty(), false);

    @TempDir
    static Path factory;

    /** Two TPMs made once (swtpm_setup takes seconds); each test boots fresh copies of them. */
    @BeforeAll
    static void manufacture() throws Exception {
        TwoTpms.manufacture(factory);
    }

    @BeforeEach
    void startTpms() throws Exception {
        tpms = TwoTpms.start(factory, temp);
        genuine = tpms.genuine();
        thief = tpms.thief();
        // What the administrator does: the fingerprint of the public key in the TPM's EK certificate.
        X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(genuine.ekCertificate()));
        genuineEk = EndorsementKey.fingerprint(certificate.getPublicKey());
        profile("compute", "bookworm");
    }

    @AfterEach
    void stopTpms() {
        if (tpms != null) {
            tpms.close();
        }
    }

    @Test
    void theGenuineTpmRecoversItsKeyThroughTheNodeApiAndSealsIt() throws Exception {
        publishedImage("bookworm", DIGEST);
        create(bound("n1"));

        ApiKeyAcquisition.Result first = acquisition("n1", genuine).acquire(TpmPolicy.REQUIRED);

        assertThat(first.source()).isEqualTo(KeySource.NETWORK);
        assertThat(status("n1").apiKey.awaitingFirstUse).as("a TPM-bound once key spends the arming when used").isTrue();
        assertThat(client("n1").bootConfiguration(first.key()).nodeName()).as("the recovered key is the issued one").isEqualTo("n1");
        assertThat(status("n1").armed).as("once: disarmed at the key's first use").isFalse();
        assertThat(status("n1").apiKey.awaitingFirstUse).isNull();
        assertThat(consoleBytes.toString(StandardCharsets.UTF_8))
                .contains(genuineEk)
                .contains("recovered with TPM2_ActivateCredential")
                .doesNotContain("tk_");
        eventually(() -> assertThat(eventsAbout("NodeCredential", "n1")).anySatisfy(e -> {
            assertThat(e.getReason()).isEqualTo("ApiKeyIssued");
            assertThat(e.getNote()).contains("encrypted to the TPM with endorsement key " + genuineEk);
        }));

        genuine.reboot();
        ApiKeyAcquisition.Result second = acquisition("n1", genuine).acquire(TpmPolicy.REQUIRED);
        assertThat(second.source()).as("the next boot unseals the key it recovered").isEqualTo(KeySource.TPM);
    }

    @Test
    void aMachineThatKnowsTheMacButHasAnotherTpmGetsNoKeyAndTheArmingStays() throws Exception {
        create(bound("n2"));
        String thiefEk;
        try (var store = Tpm2.open(thief.tcti()); TpmIdentity identity = store.identity().orElseThrow()) {
            thiefEk = identity.endorsementKey().fingerprint();
        }

        assertThatThrownBy(() -> acquisition("n2", thief).acquire(TpmPolicy.REQUIRED))
                .isInstanceOf(TrustException.class)
                .hasMessageContaining("bound to a TPM endorsement key")
                .hasMessageContaining("this machine's is " + thiefEk)
                .hasMessageContaining("spec.endorsementKey");

        assertThat(status("n2").armed).as("the once arming is not spent").isTrue();
        assertThat(status("n2").apiKey).as("no key was issued").isNull();
        eventually(() -> assertThat(eventsAbout("NodeCredential", "n2")).anySatisfy(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getReason()).isEqualTo("NodeApiEndorsementKeyMismatch");
            assertThat(e.getNote()).contains("came from another TPM (endorsement key " + thiefEk + ")");
        }));
        assertThat(acquisition("n2", genuine).acquire(TpmPolicy.REQUIRED).source())
                .as("the genuine node still gets its key").isEqualTo(KeySource.NETWORK);
    }

    @Test
    void aRequestWithoutATpmIsRefusedAndTheArmingStays() throws Exception {
        create(bound("n3"));

        var refused = api.post(NAMESPACE, "n3", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null));

        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.error().error()).isEqualTo("EndorsementKeyMismatch");
        assertThat(refused.error().message()).contains("showed no TPM endorsement key").contains("no key was issued");
        assertThat(refused.text()).doesNotContain("tk_");
        assertThat(status("n3").armed).isTrue();
    }

    @Test
    void replayingTheGenuineEndorsementKeyGetsAnAnswerNoOtherTpmCanOpen() throws Exception {
        publishedImage("bookworm", DIGEST);
        create(bound("n4"));
        ArmingRequest.Tpm genuinePublic;
        try (var store = Tpm2.open(genuine.tcti()); TpmIdentity identity = store.identity().orElseThrow()) {
            genuinePublic = new ArmingRequest.Tpm(base64(identity.endorsementKey().tpm2bPublic()),
                    base64(identity.activationKey().tpm2bPublic()));
        }

        var answer = api.post(NAMESPACE, "n4", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null, genuinePublic));

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        ApiKeyIssued issued = answer.as(ApiKeyIssued.class);
        assertThat(issued.apiKey()).as("no key in the clear").isNull();
        assertThat(answer.text()).doesNotContain("tk_");
        try (var store = Tpm2.open(thief.tcti()); TpmIdentity identity = store.identity().orElseThrow()) {
            assertThatThrownBy(() -> identity.activateCredential(issued.boundKey().credentialBlobBytes(),
                    issued.boundKey().encryptedSecretBytes()))
                    .as("the seed is encrypted to the genuine EK").isInstanceOf(TpmException.class);
        }
        assertThatThrownBy(() -> issued.boundKey().open(new byte[32], NAMESPACE, "n4"))
                .as("nor does the key open without the credential").isInstanceOf(IllegalArgumentException.class);

        assertThat(status("n4").armed).as("a key nobody used does not spend the once arming").isTrue();
        ApiKeyAcquisition.Result genuineKey = acquisition("n4", genuine).acquire(TpmPolicy.REQUIRED);
        eventually(() -> assertThat(eventsAbout("NodeCredential", "n4")).anySatisfy(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getReason()).isEqualTo("ApiKeyIssued");
            assertThat(e.getNote()).contains("which was never used").contains("replaying its TPM's public key");
        }));
        assertThat(client("n4").bootConfiguration(genuineKey.key()).nodeName()).as("the node still gets its key").isEqualTo("n4");
        assertThat(status("n4").armed).isFalse();
    }

    @Test
    void anEndorsementKeyThatIsNotTheEkTemplateIsABadRequest() throws Exception {
        create(bound("n5"));
        byte[] notAnEk = new byte[316];
        notAnEk[0] = 0x01;
        notAnEk[1] = 0x3a;
        notAnEk[3] = 0x01;

        var refused = api.post(NAMESPACE, "n5", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null,
                new ArmingRequest.Tpm(base64(notAnEk), base64(new byte[92]))));

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.error().error()).isEqualTo("BadRequest");
        assertThat(refused.error().message()).contains("template L-1");
        assertThat(status("n5").armed).isTrue();
    }

    @Test
    void withNoEndorsementKeyListedTheFirstKeyEnrolsTheTpmAndLaterKeysGoOnlyToIt() throws Exception {
        NodeCredential credential = credential("n6", "compute", Arming.CONTINUOUS);
        create(credential);

        assertThat(acquisition("n6", genuine).acquire(TpmPolicy.REQUIRED).source()).isEqualTo(KeySource.NETWORK);
        assertThat(status("n6").enrolledEndorsementKey).as("trust on first use").isEqualTo(genuineEk);
        eventually(() -> assertThat(eventsAbout("NodeCredential", "n6")).anySatisfy(e ->
                assertThat(e.getNote()).contains("enrolled: later keys go only to this TPM")));

        assertThatThrownBy(() -> acquisition("n6", thief).acquire(TpmPolicy.REQUIRED))
                .isInstanceOf(TrustException.class).hasMessageContaining("bound to a TPM endorsement key");
        var withoutTpm = api.post(NAMESPACE, "n6", NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null));
        assertThat(withoutTpm.error().error()).isEqualTo("EndorsementKeyMismatch");
        assertThat(withoutTpm.error().message()).contains("status.enrolledEndorsementKey");
        assertThat(status("n6").apiKey.issueCount).as("neither got a key").isEqualTo(1);

        String thiefEk;
        try (var store = Tpm2.open(thief.tcti()); TpmIdentity identity = store.identity().orElseThrow()) {
            thiefEk = identity.endorsementKey().fingerprint();
        }
        harness.edit(NodeCredential.class, "n6", c -> {
            c.getSpec().endorsementKey = thiefEk;
            return c;
        });
        assertThat(acquisition("n6", thief).acquire(TpmPolicy.REQUIRED).source())
                .as("the administrator names the node's new TPM in spec, which overrides the enrolment")
                .isEqualTo(KeySource.NETWORK);
    }

    private NodeCredential bound(String name) {
        NodeCredential credential = credential(name, "compute", Arming.ONCE);
        credential.getSpec().endorsementKey = genuineEk;
        return credential;
    }

    private ApiKeyAcquisition acquisition(String node, Swtpm tpm) throws Exception {
        return new ApiKeyAcquisition(client(node), dev.tether.agent.trust.NodeApiCa.read(temp.resolve("node-api-ca.pem")),
                TpmAccess.tcti(tpm.tcti()),
                () -> new HardwareIdentity(List.of(MAC), Optional.empty()), console);
    }

    private dev.tether.agent.trust.NodeApiClient client(String node) throws Exception {
        return agentClient(node, temp, console);
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
