package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.eventually;
import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.api.v1alpha1.NodeCredentialStatus.KeySource;
import dev.tether.image.format.ImageKey;
import dev.tether.nodeapi.BootConfiguration;
import dev.tether.nodeapi.NodeApi;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A node's boot as the node API sees it: configuration, image key, boot report. */
class NodeApiBootTest extends NodeApiTestBase {

    @Test
    void bootConfigurationHoldsEverythingTheNodeNeeds() throws Exception {
        publishedImage("bookworm", DIGEST);
        profile("compute", "bookworm");
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");

        var response = api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, key);

        assertThat(response.status()).as(response.text()).isEqualTo(200);
        var config = response.as(BootConfiguration.class);
        assertThat(config.namespace()).isEqualTo(NAMESPACE);
        assertThat(config.nodeName()).isEqualTo("node-001");
        assertThat(config.fqdn()).isEqualTo("node-001.cluster.example");
        assertThat(config.addresses()).containsExactly("10.1.0.7");
        assertThat(config.profile()).isEqualTo("compute");
        assertThat(config.image()).isEqualTo(DIGEST);
        assertThat(config.method()).isEqualTo("tethered");
        assertThat(config.kernelArgs()).containsExactly("console=ttyS0,115200");
        assertThat(config.writableLayer().sizeBytes()).isEqualTo(8L << 30);
        assertThat(config.writableLayer().compression()).isEqualTo("zstd");
        assertThat(config.persistencePaths()).containsExactly("/var/lib/slurm");
        assertThat(config.rootPasswordHash()).isEqualTo(PASSWORD_HASH);
        assertThat(config.ssh().caPublicKey()).isEqualTo(harness.operator().trust().sshCa().publicKey()).startsWith("ssh-ed25519 ");
        assertThat(config.ssh().hostKeyTypes()).containsExactly("ed25519");
        assertThat(config.tpmPolicy()).isEqualTo("required");
        assertThat(config.edges()).isNotNull();
        assertThat(everythingWritten()).doesNotContain(PASSWORD_HASH).doesNotContain("tethersalt");
    }

    @Test
    void aNodeWhoseProfileCannotBootIsToldWhatToFix() throws Exception {
        profile("compute", "missing-image");
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");

        var response = api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, key);

        assertThat(response.status()).isEqualTo(409);
        assertThat(response.error().error()).isEqualTo("NotBootable");
        assertThat(response.error().message()).contains("DisklessImage missing-image does not exist");
    }

    @Test
    void theImageKeyOfTheNodesOwnImageHasTheIdTheBuildRecorded() throws Exception {
        String imageKey = publishedImage("bookworm", DIGEST);
        profile("compute", "bookworm");
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");

        var response = api.get(NAMESPACE, "node-001", NodeApi.IMAGE_KEY + "?digest=" + DIGEST, key);

        assertThat(response.status()).as(response.text()).isEqualTo(200);
        var released = response.as(dev.tether.nodeapi.ImageKeyIssued.class);
        assertThat(released.digest()).isEqualTo(DIGEST);
        assertThat(released.keyHex()).isEqualTo(imageKey);
        assertThat(released.keyId()).isEqualTo(ImageKey.of(HexFormat.of().parseHex(imageKey)).keyIdHex());
        assertThat(everythingWritten()).doesNotContain(imageKey);
    }

    @Test
    void aBootReportLandsInStatusAndATpmKeyIsRecordedAsSuch() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");

        var response = api.post(NAMESPACE, "node-001", NodeApi.BOOT_REPORT, key, "{\"digest\":\"" + DIGEST + "\",\"method\":\"tethered\","
                + "\"keySource\":\"tpm\",\"phaseMillis\":{\"tpm\":180,\"network\":950,\"mount\":2400,\"switch-root\":120}}");

        assertThat(response.status()).as(response.text()).isEqualTo(204);
        var lastBoot = status("node-001").lastBoot;
        assertThat(lastBoot.digest).isEqualTo(DIGEST);
        assertThat(lastBoot.shortDigest).isEqualTo("aaaaaaaaaaaa");
        assertThat(lastBoot.keySource).isEqualTo(KeySource.TPM);
        assertThat(lastBoot.bootedAt).isNotBlank();
        assertThat(List.copyOf(lastBoot.phaseMillis.keySet())).as("in boot order").containsExactly("tpm", "network", "mount", "switch-root");
        assertThat(lastBoot.phaseMillis).containsEntry("mount", 2400L);
        assertThat(status("node-001").apiKey.issuedVia).isEqualTo(KeySource.TPM);
        assertThat(lastBoot.fetch).as("the report had no fetch counts").isNull();
        // Recorded after the answer (DeferredEvents).
        eventually(() -> {
            assertThat(events("node-001")).singleElement().satisfies(event -> {
                assertThat(event.getType()).isEqualTo("Normal");
                assertThat(event.getReason()).isEqualTo("Booted");
                assertThat(event.getNote()).isEqualTo("Booted aaaaaaaaaaaa (tethered, key from the TPM) in 3.7s: tpm 0.2s, network 1.0s,"
                        + " mount 2.4s, switch-root 0.1s.");
            });
        });
    }

    @Test
    void theRootImageFetchCountsOfABootReportLandInStatus() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");

        var response = api.post(NAMESPACE, "node-001", NodeApi.BOOT_REPORT, key, "{\"digest\":\"" + DIGEST + "\","
                + "\"method\":\"untethered\",\"keySource\":\"network\",\"phaseMillis\":{\"image\":5200},"
                + "\"fetch\":{\"requests\":412,\"hedges\":9,\"edgeFailures\":3,\"integrityFailures\":1,\"bytes\":1717986918,"
                + "\"usefulBytes\":1503238553}}");

        assertThat(response.status()).as(response.text()).isEqualTo(204);
        var fetch = status("node-001").lastBoot.fetch;
        assertThat(List.of(fetch.requests, fetch.hedges, fetch.edgeFailures, fetch.integrityFailures, fetch.bytes))
                .containsExactly(412L, 9L, 3L, 1L, 1717986918L);
        assertThat(List.of(fetch.usefulBytes, fetch.wastedBytes)).as("what the boot needed, and the rest")
                .containsExactly(1503238553L, 214748365L);
        var metrics = harness.operator().metrics();
        assertThat(metrics.get("tether.boot.duration").tags("profile", "compute", "method", "untethered").timer().totalTime(TimeUnit.MILLISECONDS))
                .isEqualTo(5200.0);
        assertThat(metrics.get("tether.boot.phase.duration").tags("profile", "compute", "phase", "image").timer().count()).isEqualTo(1);
        assertThat(metrics.get("tether.boot.fetch.bytes").tags("profile", "compute").counter().count()).isEqualTo(1717986918.0);
        assertThat(metrics.get("tether.boot.fetch.wasted.bytes").counter().count()).isEqualTo(214748365.0);
        assertThat(metrics.get("tether.boot.fetch.hedges").counter().count()).isEqualTo(9.0);
        assertThat(metrics.get("tether.boot.fetch.edge.failures").counter().count()).isEqualTo(3.0);
        assertThat(metrics.get("tether.boot.fetch.integrity.failures").counter().count()).isEqualTo(1.0);
        eventually(() -> {
            assertThat(events("node-001")).extracting(e -> e.getType() + " " + e.getReason())
                    .containsExactlyInAnyOrder("Normal Booted", "Warning BootFetchFailures");
        });
        assertThat(events("node-001")).filteredOn(e -> e.getType().equals("Warning")).singleElement()
                .satisfies(e -> assertThat(e.getNote()).contains("1 answer from edges failed verification").contains("3 requests to edges failed"));
    }

    @Test
    void aCleanFetchRaisesNoWarning() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");

        var response = api.post(NAMESPACE, "node-001", NodeApi.BOOT_REPORT, key, "{\"digest\":\"" + DIGEST + "\","
                + "\"method\":\"tethered\",\"keySource\":\"network\",\"phaseMillis\":{},"
                + "\"fetch\":{\"requests\":40,\"hedges\":2,\"edgeFailures\":0,\"integrityFailures\":0,\"bytes\":41943040}}");

        assertThat(response.status()).as(response.text()).isEqualTo(204);
        eventually(() -> {
            assertThat(events("node-001")).singleElement().satisfies(e -> {
                assertThat(e.getReason()).isEqualTo("Booted");
                assertThat(e.getNote()).isEqualTo("Booted aaaaaaaaaaaa (tethered, key from the network).");
            });
        });
    }

    /** The events recorded on the node's credential (the key fetch before the boot records none). */
    private List<io.fabric8.kubernetes.api.model.events.v1.Event> events(String credential) {
        return harness.client.events().v1().events().inNamespace(NAMESPACE).list().getItems().stream()
                .filter(e -> credential.equals(e.getRegarding().getName()) && "NodeCredential".equals(e.getRegarding().getKind()))
                .filter(e -> e.getReason().startsWith("Boot"))
                .toList();
    }
}
