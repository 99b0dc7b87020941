package dev.tether.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.nodeapi.NodeApi;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #13, attack 1: the addon archive arrives over plain HTTP, so anyone on the boot network (or an edge)
 * can serve one that names their own CA and node API URL. The agent sends a sealed key only to a server of the
 * CA it was sealed with; everything here reproduces that attack and checks the key never reaches the attacker.
 */
class ForgedAddonTest {
    private static final String GENUINE_KEY = "tk_genuineKeySealedInTheTpm0123456789";

    @TempDir
    Path temp;

    @Test
    void aForgedAddonWithItsOwnCaAndUrlNeverReceivesTheSealedKey() throws Exception {
        try (TrustFixture cluster = new TrustFixture(temp.resolve("cluster"));
                TrustFixture attacker = new TrustFixture(temp.resolve("attacker"))) {
            cluster.credential("once", false).key = GENUINE_KEY;
            attacker.credential("once", false);
            InMemoryTpm tpm = new InMemoryTpm().withSealed(cluster.enrolment(GENUINE_KEY));

            // The node boots with the attacker's addon: the attacker's CA file and the attacker's node API URL.
            ApiKeyAcquisition forged = new ApiKeyAcquisition(attacker.client(1), attacker.ca(), tpm.access(),
                    TrustFixture::hardware, attacker.console);
            assertThatThrownBy(() -> forged.acquire(TpmPolicy.REQUIRED))
                    .isInstanceOf(TrustException.class)
                    .hasMessageContaining("is not the CA this node enrolled with (" + CaFingerprint.of(cluster.pki.ca())
                            .shortForm() + ")")
                    .hasMessageContaining("someone on the boot network serves a forged addon archive")
                    .hasMessageContaining("kubectl annotate -n hpc nodecredential n1 tether.dev/rearm=")
                    .hasMessageNotContaining("\n");

            assertThat(attacker.api.authorizations).as("the attacker saw no key").isEmpty();
            assertThat(attacker.api.requests).as("only the arming request, which carries no secret")
                    .allMatch(request -> request.endsWith("/api-key"));
            assertThat(tpm.sealedSecret()).as("the genuine key stays sealed").contains(GENUINE_KEY);
            assertThat(tpm.locked()).as("PCR 15 extended on the failure path").isTrue();
            assertThat(attacker.output()).doesNotContain(GENUINE_KEY).doesNotContain("tk_");
        }
    }

    @Test
    void anAttackerCaAddedBesideTheGenuineOneGetsNothingEither() throws Exception {
        try (TrustFixture cluster = new TrustFixture(temp.resolve("cluster"));
                TrustFixture attacker = new TrustFixture(temp.resolve("attacker"))) {
            cluster.credential("once", false).key = GENUINE_KEY;
            attacker.credential("continuous", true);
            InMemoryTpm tpm = new InMemoryTpm().withSealed(cluster.enrolment(GENUINE_KEY));
            // The file holds both CAs, so "the sealed CA is in the addon" holds; the URL is the attacker's.
            Path bundle = Files.writeString(temp.resolve("bundle.pem"),
                    Files.readString(cluster.caPem) + Files.readString(attacker.caPem));

            ApiKeyAcquisition forged = new ApiKeyAcquisition(attacker.client(1), NodeApiCa.read(bundle), tpm.access(),
                    TrustFixture::hardware, attacker.console);
            assertThatThrownBy(() -> forged.acquire(TpmPolicy.REQUIRED))
                    .isInstanceOf(NodeApiClient.NodeApiUnreachableException.class)
                    .hasMessageContaining("is not signed by the cluster CA");

            assertThat(attacker.api.requests).as("TLS failed before any request was made").isEmpty();
            assertThat(attacker.api.authorizations).isEmpty();
            assertThat(tpm.sealedSecret()).contains(GENUINE_KEY);
            assertThat(tpm.locked()).isTrue();
        }
    }

    /** The key came from the network through the addon's CA bundle; the rest of the boot trusts the issuing CA alone. */
    @Test
    void aKeyFromTheNetworkIsNeverSentToAServerOfTheOtherCaInTheAddon() throws Exception {
        try (TrustFixture cluster = new TrustFixture(temp.resolve("cluster"));
                TrustFixture attacker = new TrustFixture(temp.resolve("attacker"))) {
            cluster.credential("continuous", true);
            attacker.credential("continuous", true);
            Path bundle = Files.writeString(temp.resolve("bundle.pem"),
                    Files.readString(cluster.caPem) + Files.readString(attacker.caPem));
            NodeApiClient client = new NodeApiClient(List.of(cluster.api.url(), attacker.api.url()), TrustFixture.NAMESPACE,
                    TrustFixture.NODE, NodeApiTls.context(bundle, NodeApi.SERVER_NAME), TrustFixture.FAST.get(1),
                    duration -> { }, cluster.console);
            ApiKeyAcquisition.Result result = new ApiKeyAcquisition(client, NodeApiCa.read(bundle), TpmAccess.NONE,
                    TrustFixture::hardware, cluster.console).acquire(TpmPolicy.PREFERRED);
            assertThat(result.source()).isEqualTo(KeySource.NETWORK);

            // The genuine node API goes away; the next URL is the attacker's, whose CA the addon also lists.
            cluster.api.close();
            assertThatThrownBy(() -> result.api().bootConfiguration(result.key()))
                    .isInstanceOf(NodeApiClient.NodeApiUnreachableException.class)
                    .hasMessageContaining("is not signed by the cluster CA");

            assertThat(attacker.api.requests).as("TLS failed before any request was made").isEmpty();
            assertThat(attacker.api.authorizations).isEmpty();
        }
    }

    @Test
    void afterTheClusterCaIsReplacedAReArmedNodeEnrolsAgainWithoutSendingItsOldKey() throws Exception {
        try (TrustFixture oldCluster = new TrustFixture(temp.resolve("old"));
                TrustFixture cluster = new TrustFixture(temp.resolve("cluster"))) {
            FakeNodeApi.Node credential = cluster.credential("once", true);
            InMemoryTpm tpm = new InMemoryTpm().withSealed(oldCluster.enrolment(GENUINE_KEY));

            ApiKeyAcquisition.Result result = new ApiKeyAcquisition(cluster.client(1), cluster.ca(), tpm.access(),
                    TrustFixture::hardware, cluster.console).acquire(TpmPolicy.REQUIRED);

            assertThat(result.source()).isEqualTo(KeySource.NETWORK);
            assertThat(cluster.api.authorizations).as("the old key was never sent").noneMatch(a -> a.contains(GENUINE_KEY));
            assertThat(tpm.sealedSecret()).contains(credential.key);
            assertThat(tpm.sealedCa()).contains(CaFingerprint.of(cluster.pki.ca()));
            assertThat(cluster.output()).contains("is not the CA this node enrolled with")
                    .contains("sealed the new API key in the TPM, bound to the node API CA "
                            + CaFingerprint.of(cluster.pki.ca()).shortForm());
        }
    }

    @Test
    void aKeySealedByAnOlderAgentWithoutItsCaIsNotSentAnywhere() throws Exception {
        try (TrustFixture cluster = new TrustFixture(temp.resolve("cluster"))) {
            FakeNodeApi.Node credential = cluster.credential("once", true);
            InMemoryTpm tpm = new InMemoryTpm().withSealed(GENUINE_KEY.getBytes(java.nio.charset.StandardCharsets.US_ASCII));

            ApiKeyAcquisition.Result result = new ApiKeyAcquisition(cluster.client(1), cluster.ca(), tpm.access(),
                    TrustFixture::hardware, cluster.console).acquire(TpmPolicy.REQUIRED);

            assertThat(result.source()).isEqualTo(KeySource.NETWORK);
            assertThat(cluster.api.authorizations).noneMatch(a -> a.contains(GENUINE_KEY));
            assertThat(tpm.sealedCa()).contains(CaFingerprint.of(cluster.pki.ca()));
            assertThat(tpm.sealedSecret()).contains(credential.key);
            assertThat(cluster.output()).contains("sealed by an older agent").doesNotContain(GENUINE_KEY);
        }
    }

    @Test
    void everyCallAfterTheKeyGoesOnlyToTheEnrolledCa() throws Exception {
        try (TrustFixture cluster = new TrustFixture(temp.resolve("cluster"));
                TrustFixture attacker = new TrustFixture(temp.resolve("attacker"))) {
            cluster.credential("once", false).key = GENUINE_KEY;
            InMemoryTpm tpm = new InMemoryTpm().withSealed(cluster.enrolment(GENUINE_KEY));
            Path bundle = Files.writeString(temp.resolve("bundle.pem"),
                    Files.readString(cluster.caPem) + Files.readString(attacker.caPem));
            // Both URLs listed: the genuine node API answers, and the attacker's is never trusted with the key.
            NodeApiClient both = new NodeApiClient(List.of(attacker.api.url(), cluster.api.url()), TrustFixture.NAMESPACE,
                    TrustFixture.NODE, NodeApiCa.read(bundle).tls(dev.tether.nodeapi.NodeApi.SERVER_NAME).context(),
                    TrustFixture.FAST.get(1), cluster.pauses::add, cluster.console);

            ApiKeyAcquisition.Result result = new ApiKeyAcquisition(both, NodeApiCa.read(bundle), tpm.access(),
                    TrustFixture::hardware, cluster.console).acquire(TpmPolicy.REQUIRED);
            result.api().bootConfiguration(result.key());

            assertThat(result.source()).isEqualTo(KeySource.TPM);
            assertThat(attacker.api.requests).isEmpty();
            assertThat(cluster.api.authorizations).hasSizeGreaterThanOrEqualTo(2).allMatch(a -> a.endsWith(GENUINE_KEY));
        }
    }
}
