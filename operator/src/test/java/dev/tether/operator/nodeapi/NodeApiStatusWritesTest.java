package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.trust.HostKey;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.nodeapi.HostCertificates;
import dev.tether.nodeapi.HostKeys;
import dev.tether.nodeapi.NodeApi;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a boot writes to its NodeCredential's status through the node API (the key's issue, the host certificates'
 * serials, the boot report): each write one API server round trip while the node API's copy of the credential is
 * current, none lost when it is not, and each made before the answer, so that the operator never hands out a certificate
 * it has not recorded and a failed write leaves the node nothing it could rely on.
 */
class NodeApiStatusWritesTest extends NodeApiTestBase {
    private static final String STATUS = "/apis/tether.dev/v1alpha1/namespaces/" + NAMESPACE + "/nodecredentials/node-001/status";
    private static final String REPORT = "{\"digest\":\"" + DIGEST + "\",\"method\":\"tethered\",\"keySource\":\"network\","
            + "\"phaseMillis\":{\"mount\":2400}}";

    @BeforeEach
    void profileAndImage() {
        publishedImage("bookworm", DIGEST);
        profile("compute", "bookworm");
    }

    @Test
    void aBootLeavesItsStatusCompleteAndEachWriteOnTheRequestPathIsOneRoundTrip() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");
        awaitCachedCredentialCurrent();
        recordedRequests();

        var signed = api.post(NAMESPACE, "node-001", NodeApi.HOST_CERTIFICATES, key, hostKeys());
        List<String> certifying = credentialRequests();
        var reported = api.post(NAMESPACE, "node-001", NodeApi.BOOT_REPORT, key, REPORT);
        List<String> reporting = credentialRequests();

        assertThat(signed.status()).as(signed.text()).isEqualTo(200);
        assertThat(reported.status()).as(reported.text()).isEqualTo(204);
        assertThat(certifying).as("host-certificates' requests for the credential").containsExactly("PUT " + STATUS);
        assertThat(reporting).as("boot-report's requests for the credential").containsExactly("PUT " + STATUS);
        var status = status("node-001");
        assertThat(status.apiKey.issueCount).as("the key's issue, written before").isEqualTo(1);
        assertThat(status.armed).as("a once credential spent by its key").isFalse();
        assertThat(status.hostCertificates).extracting(c -> c.serial)
                .containsExactlyInAnyOrderElementsOf(serials(signed.as(HostCertificates.class)));
        assertThat(status.lastBoot.digest).isEqualTo(DIGEST);
        assertThat(status.lastBoot.phaseMillis).containsEntry("mount", 2400L);
    }

    @Test
    void aStatusWrittenMeanwhileIsKeptAndTheCertificatesStillRecorded() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");
        // Someone else writes the status; and the node API's first write meets a conflict whatever its copy knew.
        harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName("node-001").editStatus(c -> {
            c.getStatus().lastBoot = new NodeCredentialStatus.LastBoot();
            c.getStatus().lastBoot.digest = OTHER_DIGEST;
            return c;
        });
        harness.server.expect().put().withPath(STATUS)
                .andReturn(409, new StatusBuilder().withCode(409).withReason("Conflict").withMessage("the object has been modified").build())
                .once();

        var signed = api.post(NAMESPACE, "node-001", NodeApi.HOST_CERTIFICATES, key, hostKeys());

        assertThat(signed.status()).as(signed.text()).isEqualTo(200);
        var status = status("node-001");
        assertThat(status.hostCertificates).extracting(c -> c.serial)
                .containsExactlyInAnyOrderElementsOf(serials(signed.as(HostCertificates.class)));
        assertThat(status.lastBoot.digest).as("the other writer's change").isEqualTo(OTHER_DIGEST);
        assertThat(status.apiKey.issueCount).isEqualTo(1);
    }

    @Test
    void aCertificateWhoseSerialCannotBeRecordedIsNotHandedOut() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");
        harness.server.expect().put().withPath(STATUS)
                .andReturn(500, new StatusBuilder().withCode(500).withMessage("etcdserver: request timed out").build()).always();

        var signed = api.post(NAMESPACE, "node-001", NodeApi.HOST_CERTIFICATES, key, hostKeys());

        assertThat(signed.status()).isEqualTo(500);
        assertThat(signed.text()).doesNotContain("-cert-v01@openssh.com");
        assertThat(status("node-001").hostCertificates).isEmpty();
    }

    @Test
    void theNodeApisOwnTimeIsMeasuredPerEndpointAndStrangersPathsMakeNoNewSeries() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");

        api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, key);
        for (int i = 0; i < 5; i++) {
            api.get(NAMESPACE, "node-001", "made-up-" + (char) ('a' + i), key);
        }

        var metrics = harness.operator().metrics();
        eventually(() -> assertThat(metrics.find(RequestTimings.HANDLED).tag("endpoint", NodeApi.BOOT_CONFIG).timer())
                .isNotNull().satisfies(t -> assertThat(t.count()).isEqualTo(1)));
        assertThat(metrics.find(RequestTimings.QUEUED).tag("endpoint", NodeApi.API_KEY).timer().count()).isEqualTo(1);
        assertThat(metrics.find(RequestTimings.CPU).tag("endpoint", NodeApi.API_KEY).counter()).isNotNull();
        eventually(() -> assertThat(metrics.find(RequestTimings.HANDLED).tag("endpoint", "other").timer())
                .isNotNull().satisfies(t -> assertThat(t.count()).isEqualTo(5)));
        assertThat(metrics.find(RequestTimings.HANDLED).timers()).extracting(t -> t.getId().getTag("endpoint"))
                .containsExactlyInAnyOrder(NodeApi.API_KEY, NodeApi.BOOT_CONFIG, "other");
    }

    @Test
    void eachConnectionsTlsHandshakeIsTimedByItsOutcome() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");
        var metrics = harness.operator().metrics();
        double okBefore = handshakes(metrics, "ok");

        api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, key);
        try (var plain = new Socket(server.address().getAddress(), server.address().getPort())) {
            // Plain HTTP to the TLS port: a handshake that fails.
            plain.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            plain.getOutputStream().flush();
            assertThat(plain.getInputStream().readAllBytes()).as("no HTTP answer without TLS").doesNotContain((byte) 'H');
        }

        eventually(() -> assertThat(handshakes(metrics, "ok")).isEqualTo(okBefore + 1));
        eventually(() -> assertThat(handshakes(metrics, "failed")).isEqualTo(1));
    }

    private static double handshakes(MeterRegistry metrics, String outcome) {
        var timer = metrics.find(RequestTimings.HANDSHAKE).tag("outcome", outcome).timer();
        return timer == null ? 0 : timer.count();
    }

    private static HostKeys hostKeys() throws Exception {
        return new HostKeys(List.of(HostKey.generate("ed25519", new SecureRandom(), "root@node-001").publicKeyLine(),
                HostKey.generate("ecdsa", new SecureRandom(), "root@node-001").publicKeyLine()));
    }

    private static List<Long> serials(HostCertificates signed) throws Exception {
        var serials = new ArrayList<Long>();
        for (String line : signed.certificates()) {
            var certificate = (OpenSshCertificate) PublicKeyEntry.parsePublicKeyEntry(line.strip())
                    .resolvePublicKey(null, Map.of(), PublicKeyEntryResolver.FAILING);
            serials.add(certificate.getSerial());
        }
        return serials;
    }

    /** Until the node API's copy of the credential is the API server's (the key's issue has reached the informer). */
    private void awaitCachedCredentialCurrent() {
        eventually(() -> {
            String current = harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName("node-001").get()
                    .getMetadata().getResourceVersion();
            assertThat(harness.operator().credentials().find(NAMESPACE, "node-001"))
                    .singleElement().satisfies(c -> assertThat(c.getMetadata().getResourceVersion()).isEqualTo(current));
        });
    }

    /** The requests for node-001's credential the API server received since the last call (drains them all). */
    private List<String> credentialRequests() throws InterruptedException {
        return recordedRequests().stream().filter(r -> r.getPath().contains("/nodecredentials/node-001"))
                .map(r -> r.getMethod() + " " + r.getPath()).toList();
    }

    private List<RecordedRequest> recordedRequests() throws InterruptedException {
        var requests = new ArrayList<RecordedRequest>();
        for (RecordedRequest r; (r = harness.server.takeRequest(1, TimeUnit.MILLISECONDS)) != null; ) {
            requests.add(r);
        }
        return requests;
    }
}
