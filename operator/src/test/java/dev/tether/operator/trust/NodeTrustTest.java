package dev.tether.operator.trust;

import static dev.tether.operator.OperatorHarness.OPERATOR_NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.OperatorHarness;
import dev.tether.operator.profile.AddonArchive;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The cluster CA and the SSH CA: made once, kept in Secrets, never regenerated, and replaceable by the administrator's own. */
class NodeTrustTest {
    @RegisterExtension
    final OperatorHarness harness = new OperatorHarness(OperatorHarness.NO_ORIGIN);

    @Test
    void theCasAreMadeOnceAndReadBackUnchangedAtTheNextStart() {
        var first = harness.operator().trust();
        var secret = harness.client.secrets().inNamespace(OPERATOR_NAMESPACE).withName("tether-node-api-ca").get();
        assertThat(secret.getData()).containsKeys(ClusterCa.CERTIFICATE_KEY, ClusterCa.PRIVATE_KEY_KEY);
        assertThat(new String(Base64.getDecoder().decode(secret.getData().get(ClusterCa.PRIVATE_KEY_KEY)), StandardCharsets.UTF_8))
                .startsWith("-----BEGIN PRIVATE KEY-----");

        var again = ClusterTrust.loadOrCreate(harness.client, OPERATOR_NAMESPACE, harness.config.nodeApi());

        assertThat(again.clusterCa().certificate()).isEqualTo(first.clusterCa().certificate());
        assertThat(again.sshCa().publicKey()).isEqualTo(first.sshCa().publicKey()).startsWith("ssh-ed25519 ");
        assertThat(harness.client.secrets().inNamespace(OPERATOR_NAMESPACE).withName("tether-node-api-ca").get().getData())
                .isEqualTo(secret.getData());
        assertThat(first.clusterCa().toString()).doesNotContain("PRIVATE");
    }

    @Test
    void theSshCaPublicKeyIsPublishedAsAKnownHostsLineUsersCanRead() {
        var ca = harness.operator().trust().sshCa();

        var published = harness.client.configMaps().inNamespace(OPERATOR_NAMESPACE).withName("tether-ssh-ca").get();

        assertThat(published.getData().get(SshCaPublication.KNOWN_HOSTS))
                .as("trusted for the default policy's names only, never for every host")
                .isEqualTo("@cert-authority *.tether.internal " + ca.publicKey() + "\n");
        assertThat(published.getData().get(SshCaPublication.PUBLIC_KEY)).startsWith("ssh-ed25519 ");
        assertThat(published.getData().values()).noneMatch(v -> v.contains("PRIVATE"));
    }

    @Test
    void theServerCertificateNamesTetherNodeApiAndTheServiceAndChainsToTheCa() throws Exception {
        var ca = harness.operator().trust().clusterCa();

        var identity = ca.issueServerCertificate(harness.config.nodeApi().dnsNames(), Duration.ofDays(90));

        identity.certificate().verify(ca.certificate().getPublicKey());
        var names = identity.certificate().getSubjectAlternativeNames().stream().map(n -> (String) n.get(1)).toList();
        assertThat(names).contains(NodeApi.SERVER_NAME, "tether-node-api.tether-system", "tether-node-api.tether-system.svc",
                "tether-node-api.tether-system.svc.cluster.local");
        assertThat(identity.certificate().getBasicConstraints()).isEqualTo(-1);
        assertThat(ca.certificate().getBasicConstraints()).isGreaterThanOrEqualTo(0);
    }

    @Test
    void anAdministratorsOwnSshCaIsUsedAsItIs(@TempDir Path dir) throws Exception {
        Path keygen = Path.of("/usr/bin/ssh-keygen");
        Assumptions.assumeTrue(Files.isExecutable(keygen), "SKIPPED: " + keygen + " is missing; install openssh-client");
        Process process = new ProcessBuilder(keygen.toString(), "-q", "-t", "ed25519", "-N", "", "-C", "site-ca", "-f",
                dir.resolve("ca").toString()).redirectErrorStream(true).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        harness.client.resource(new SecretBuilder().withNewMetadata().withName("site-ssh-ca").withNamespace(OPERATOR_NAMESPACE).endMetadata()
                .addToStringData("id_ed25519", Files.readString(dir.resolve("ca"))).build()).create();

        var ca = SshCa.loadOrCreate(harness.client, OPERATOR_NAMESPACE, "site-ssh-ca", "id_ed25519");

        String[] own = Files.readString(dir.resolve("ca.pub")).strip().split(" ");
        assertThat(ca.publicKey()).startsWith(own[0] + " " + own[1]);
    }

    @Test
    void everyAddonArchiveCarriesTheClusterCaCertificateWhereTheAgentLooks() throws Exception {
        String pem = harness.operator().trust().clusterCa().certificatePem();

        byte[] archive = AddonArchive.build("hpc", "compute", "tethered", "required", null, List.of(), List.of("https://10.0.0.1:8443"), pem);

        try (var in = new CpioArchiveInputStream(new ByteArrayInputStream(archive))) {
            String found = null;
            for (var entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                if (("/" + entry.getName()).equals(NodeApi.CA_CERTIFICATE_PATH)) {
                    found = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
            assertThat(found).isEqualTo(pem).startsWith("-----BEGIN CERTIFICATE-----");
        }
    }
}
