package dev.tether.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.BootConfiguration;
import dev.tether.nodeapi.NodeApi;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeApiClientTest {
    @TempDir
    Path temp;

    @Test
    void aCertificateForTetherNodeApiIsAcceptedWhenDialledByAddress() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            fixture.credential("continuous", true);
            NodeApiClient client = fixture.client(1);
            assertThat(fixture.api.url().getHost()).isEqualTo("127.0.0.1");
            String key = client.requestApiKey(new ArmingRequest(List.of(TrustFixture.MAC), null)).apiKey();
            BootConfiguration config = client.bootConfiguration(ApiKey.of(key));
            assertThat(config.nodeName()).isEqualTo("n1");
            assertThat(fixture.api.authorizations).containsExactly(NodeApi.BEARER + key);
        }
    }

    @Test
    void aCertificateForAnotherNameIsRefusedAtOnce() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp, "127.0.0.1", "edge-1", "localhost")) {
            fixture.credential("continuous", true);
            NodeApiClient client = fixture.client(5);
            assertThatThrownBy(() -> client.requestApiKey(new ArmingRequest(List.of(TrustFixture.MAC), null)))
                    .isInstanceOf(NodeApiClient.NodeApiUnreachableException.class)
                    .hasMessageContaining("not tether-node-api");
            assertThat(fixture.pauses).as("a wrong certificate is not retried").isEmpty();
            assertThat(fixture.api.requests).isEmpty();
        }
    }

    @Test
    void aCertificateFromAnotherCaIsRefused() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            fixture.credential("continuous", true);
            Path otherCa = new TestPki("Some other CA").writeCaPem(temp.resolve("other-ca.pem"));
            NodeApiClient client = new NodeApiClient(List.of(fixture.api.url()), "hpc", "n1",
                    NodeApiTls.context(otherCa, NodeApi.SERVER_NAME), TrustFixture.FAST.get(3), fixture.pauses::add,
                    fixture.console);
            assertThatThrownBy(() -> client.requestApiKey(new ArmingRequest(List.of(TrustFixture.MAC), null)))
                    .isInstanceOf(NodeApiClient.NodeApiUnreachableException.class)
                    .hasMessageContaining("not signed by the cluster CA");
            assertThat(fixture.api.requests).isEmpty();
        }
    }

    @Test
    void aMissingCaFileSaysTheAddonArchiveMustCarryIt() {
        assertThatThrownBy(() -> NodeApiTls.context(temp.resolve("absent.pem"), NodeApi.SERVER_NAME))
                .hasMessageContaining("node API's CA certificate " + temp.resolve("absent.pem") + " is missing")
                .hasMessageContaining("addon archive");
    }

    @Test
    void networkFailuresMoveOnToTheNextUrlAndBackOffBetweenRounds() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp); ServerSocket closed = new ServerSocket(0)) {
            fixture.credential("continuous", true);
            URI dead = URI.create("https://127.0.0.1:" + closed.getLocalPort());
            closed.close();
            // The first URL refuses connections; the second answers 503 twice (an operator restarting), then works.
            fixture.api.unavailable.set(2);
            NodeApiClient client = fixture.client(4, dead, fixture.api.url());
            String key = client.requestApiKey(new ArmingRequest(List.of(TrustFixture.MAC), null)).apiKey();
            assertThat(key).startsWith("tk_");
            assertThat(fixture.pauses).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
            assertThat(fixture.output()).contains("node API: a new API key failed on every URL (" + dead + ": ")
                    .contains("HTTP 503 Unavailable: the node API is starting").contains("retrying in 1s")
                    .doesNotContain(key);
        }
    }

    @Test
    void aBusyNodeApiIsWaitedForAsItAsksNotAskedAgainThroughTheOtherUrls() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            fixture.credential("continuous", true);
            // Two edges relay to the one node API, which is busy once: the other edge would only queue a second request.
            fixture.api.busy.set(1);
            NodeApiClient client = fixture.client(4, fixture.api.url(), fixture.api.url());
            assertThat(client.requestApiKey(new ArmingRequest(List.of(TrustFixture.MAC), null)).apiKey()).startsWith("tk_");
            assertThat(fixture.api.requests).as("one busy answer, then the retry").hasSize(2);
            assertThat(fixture.pauses).as("its Retry-After, longer than the first backoff").containsExactly(Duration.ofSeconds(3));
        }
    }

    @Test
    void anArchiveUploadToABusyNodeApiWaitsAsItAsksBeforeSendingItAgain() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            fixture.api.busy.set(1);
            Path archive = Files.write(temp.resolve("archive"), new byte[1024]);
            NodeApiClient client = fixture.client(4, fixture.api.url(), fixture.api.url());
            // This fake has no persistence endpoint: the retry that reaches it is refused, which ends the upload.
            assertThatThrownBy(() -> client.uploadArchive("grant", 1, archive)).isInstanceOf(NodeApiRefusal.class);
            assertThat(fixture.api.requests).as("the busy answer, then one retry; not the archive through the other edge at once")
                    .hasSize(2);
            assertThat(fixture.pauses).containsExactly(Duration.ofSeconds(3));
        }
    }

    @Test
    void afterTheLastRoundTheFailureNamesEveryUrl() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            fixture.credential("continuous", true);
            fixture.api.unavailable.set(100);
            NodeApiClient client = fixture.client(3);
            assertThatThrownBy(() -> client.requestApiKey(new ArmingRequest(List.of(TrustFixture.MAC), null)))
                    .isInstanceOf(NodeApiClient.NodeApiUnreachableException.class)
                    .hasMessageStartingWith("no node API URL answered for a new API key: " + fixture.api.url()
                            + ": HTTP 503");
            assertThat(fixture.pauses).hasSize(2);
            assertThat(fixture.api.requests).hasSize(3);
        }
    }

    @Test
    void aRefusalEndsTheCallWithItsCodeAndIsNotRetried() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            fixture.credential("once", false);
            NodeApiClient client = fixture.client(5);
            assertThatThrownBy(() -> client.requestApiKey(new ArmingRequest(List.of(TrustFixture.MAC), null)))
                    .isInstanceOfSatisfying(NodeApiRefusal.class, refusal -> {
                        assertThat(refusal.status()).isEqualTo(403);
                        assertThat(refusal.code()).isEqualTo("NotArmed");
                        assertThat(refusal.serverMessage()).isEqualTo("NodeCredential hpc/n1 is not armed");
                    });
            assertThat(fixture.api.requests).hasSize(1);
            assertThat(fixture.pauses).isEmpty();
        }
    }

    @Test
    void anOversizedAnswerIsCutOff() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            fixture.credential("continuous", true);
            fixture.api.oversizedAnswer = NodeApiClient.MAX_ANSWER_BYTES + 1;
            NodeApiClient client = fixture.client(1);
            assertThatThrownBy(() -> client.requestApiKey(new ArmingRequest(List.of(TrustFixture.MAC), null)))
                    .hasMessageContaining("larger than " + NodeApiClient.MAX_ANSWER_BYTES + " bytes");
        }
    }

    @Test
    void hardwareIdentityComesFromSysfs() throws Exception {
        Path sys = temp.resolve("sys");
        writeInterface(sys, "lo", "00:00:00:00:00:00", "772");
        writeInterface(sys, "eno1", "52:54:00:AB:CD:EF", "1");
        writeInterface(sys, "ib0", "80:00:00:48:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0f:00:01", "32");
        writeInterface(sys, "tun0", "00:00:00:00:00:00", "65534");
        java.nio.file.Files.createDirectories(sys.resolve("class/dmi/id"));
        java.nio.file.Files.writeString(sys.resolve("class/dmi/id/product_uuid"), "4C4C4544-0042-3510-8052-B4C04F4E4A32\n");
        HardwareIdentity identity = HardwareIdentity.read(sys);
        assertThat(identity.macs()).containsExactly("52:54:00:ab:cd:ef");
        assertThat(identity.smbiosUuid()).contains("4c4c4544-0042-3510-8052-b4c04f4e4a32");
        assertThat(HardwareIdentity.read(temp.resolve("nothing"))).isEqualTo(new HardwareIdentity(List.of(), Optional.empty()));
    }

    private static void writeInterface(Path sys, String name, String address, String type) throws Exception {
        Path dir = java.nio.file.Files.createDirectories(sys.resolve("class/net").resolve(name));
        java.nio.file.Files.writeString(dir.resolve("address"), address + "\n");
        java.nio.file.Files.writeString(dir.resolve("type"), type + "\n");
    }
}
