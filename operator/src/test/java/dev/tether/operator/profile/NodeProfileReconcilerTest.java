package dev.tether.operator.profile;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageSpec;
import dev.tether.api.v1alpha1.Distribution;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.api.v1alpha1.NodeProfileStatus;
import dev.tether.operator.BuilderJobs;
import dev.tether.operator.OperatorHarness;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A profile's edges and boot files against the mock API server. */
class NodeProfileReconcilerTest {
    static final String DIGEST = "sha256:" + "a".repeat(64);
    static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final OperatorHarness harness = new OperatorHarness(OperatorHarness.NO_ORIGIN);

    @Test
    void aBootsStatusWritesDoNotWakeTheProfileButWhatItCountsDoes() {
        var before = new NodeCredential();
        before.getMetadata().setGeneration(1L);
        before.setStatus(new NodeCredentialStatus());
        before.getStatus().lastBoot = new NodeCredentialStatus.LastBoot();
        before.getStatus().lastBoot.digest = "sha256:aa";
        var json = harness.client.getKubernetesSerialization();

        var figures = json.clone(before);
        figures.getStatus().lastBoot.bootedAt = "2026-12-02T10:00:00Z";
        figures.getStatus().lastBoot.phaseMillis.put("root", 1200L);
        figures.getStatus().hostCertificates.add(new NodeCredentialStatus.HostCertificate());
        assertThat(NodeProfileReconciler.changesWhatTheProfileReads(figures, before))
                .as("a boot report's figures and a host certificate's serial").isFalse();

        var newVersion = json.clone(before);
        newVersion.getStatus().lastBoot.digest = "sha256:bb";
        assertThat(NodeProfileReconciler.changesWhatTheProfileReads(newVersion, before)).as("the digest it counts").isTrue();

        var rebootMark = json.clone(before);
        rebootMark.getMetadata().setAnnotations(Map.of(NodeCredential.ROLLOUT_REBOOT_ANNOTATION, "sha256:bb"));
        assertThat(NodeProfileReconciler.changesWhatTheProfileReads(rebootMark, before)).as("the rollout's mark").isTrue();

        var edited = json.clone(before);
        edited.getMetadata().setGeneration(2L);
        assertThat(NodeProfileReconciler.changesWhatTheProfileReads(edited, before)).as("its spec").isTrue();
    }

    @Test
    void aProfileGetsAnEdgeDaemonSetAndService() {
        var profile = profile("compute", "bookworm");
        profile.getSpec().edges = new NodeProfileSpec.Edges();
        profile.getSpec().edges.nodeSelector = Map.of("tether.dev/edge", "true");
        profile.getSpec().edges.port = 8090;
        harness.client.resource(profile).create();

        DaemonSet daemonSet = eventually(() -> harness.client.apps().daemonSets().inNamespace(NAMESPACE).withName("compute-edge").get());
        var pod = daemonSet.getSpec().getTemplate().getSpec();
        assertThat(pod.getHostNetwork()).isTrue();
        assertThat(pod.getNodeSelector()).containsEntry("tether.dev/edge", "true");
        var container = pod.getContainers().getFirst();
        assertThat(container.getImage()).isEqualTo("registry.example/tether/content-server:test");
        assertThat(container.getArgs()).startsWith("edge").containsSequence("--port", "8090").containsSequence("--origin", "http://127.0.0.1:9")
                .containsSequence("--node-api", "tether-node-api.tether-system.svc:8443");
        assertThat(container.getPorts()).extracting(p -> p.getContainerPort()).containsExactly(8090, 8443);
        assertThat(container.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getConfigMap() != null && "compute-boot".equals(v.getConfigMap().getName())).isTrue());
        assertThat(daemonSet.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName()).isEqualTo("compute"));

        var service = eventually(() -> harness.client.services().inNamespace(NAMESPACE).withName("compute-edge").get());
        assertThat(service.getSpec().getSelector()).containsEntry("tether.dev/profile", "compute");
        assertThat(service.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getKind()).isEqualTo("NodeProfile"));
    }

    @Test
    void aProfileWhoseImageIsMissingOrUnpublishedIsNotReady() {
        harness.client.resource(profile("compute", "bookworm")).create();
        eventually(() -> assertThat(ready("compute").reason).isEqualTo("ImageNotFound"));
        assertThat(ready("compute").message).contains("DisklessImage bookworm does not exist");

        harness.client.resource(image("bookworm")).create();
        eventually(() -> assertThat(ready("compute").reason).isEqualTo("ImageNotPublished"));
        assertThat(ready("compute").isTrue()).isFalse();
    }

    @Test
    void bootFilesNameTheImageDigestsAndTheNodesByMac() throws Exception {
        harness.client.resource(image("bookworm")).create();
        publish("bookworm", DIGEST);
        var profile = profile("compute", "bookworm");
        profile.getSpec().kernelArgs = List.of("console=ttyS0,115200", "quiet");
        harness.client.resource(profile).create();
        harness.client.resource(credential("node-001", "compute", "52:54:00:12:34:56")).create();
        harness.client.resource(credential("node-002", "other", "52:54:00:00:00:02")).create();

        eventually(() -> assertThat(bootJson("compute").path("nodes").has("52:54:00:12:34:56")).isTrue());
        JsonNode boot = bootJson("compute");
        JsonNode entry = boot.path("profiles").path("compute");
        assertThat(entry.path("image").asText()).isEqualTo(DIGEST);
        assertThat(entry.path("kernel").asText()).isEqualTo("sha256:" + "c".repeat(64));
        assertThat(entry.path("initramfs").asText()).isEqualTo("sha256:" + "e".repeat(64));
        assertThat(entry.path("rootImage").asText()).isEqualTo("sha256:" + "d".repeat(64));
        assertThat(entry.path("method").asText()).isEqualTo("tethered");
        assertThat(entry.path("kernelArgs").asText()).isEqualTo("console=ttyS0,115200 quiet");
        assertThat(boot.path("nodes").path("52:54:00:12:34:56").path("node").asText()).isEqualTo("node-001");
        assertThat(boot.path("nodes").has("52:54:00:00:00:02")).as("another profile's node").isFalse();

        var configMap = harness.client.configMaps().inNamespace(NAMESPACE).withName("compute-boot").get();
        var addon = cpioFiles(Base64.getDecoder().decode(configMap.getBinaryData().get("addon-compute.cpio")));
        JsonNode profileJson = JSON.readTree(addon.get("etc/tether/profile.json"));
        assertThat(profileJson.path("profile").asText()).isEqualTo("compute");
        assertThat(profileJson.path("image").asText()).isEqualTo(DIGEST);
        assertThat(profileJson.path("tpmPolicy").asText()).as("the agent needs it before it has a key").isEqualTo("preferred");
        assertThat(configMap.getData().get("boot.json")).doesNotContainIgnoringCase("key");
    }

    @Test
    void readyEdgesAndTheServedDigestShowInStatus() {
        harness.client.resource(image("bookworm")).create();
        publish("bookworm", DIGEST);
        harness.client.resource(profile("compute", "bookworm")).create();
        eventually(() -> assertThat(ready("compute").reason).isEqualTo("EdgesScheduling"));
        edgesScheduled("compute", 2);
        eventually(() -> assertThat(ready("compute").reason).isEqualTo("NoReadyEdges"));

        readyEdgePod("compute", "compute-edge-abcde", "192.168.10.11");
        readyEdgePod("compute", "compute-edge-fghij", "192.168.10.12");

        eventually(() -> assertThat(status("compute").readyEdges).isEqualTo(2));
        var status = status("compute");
        assertThat(status.edgeUrls).containsExactly("http://192.168.10.11:8080", "http://192.168.10.12:8080");
        assertThat(status.digest).isEqualTo(DIGEST);
        assertThat(status.shortDigest).isEqualTo("aaaaaaaaaaaa");
        assertThat(ready("compute").isTrue()).isTrue();
        eventually(() -> assertThat(bootJson("compute").path("edgeUrls")).hasSize(2));
    }

    /**
     * spec.edges.hostNetwork false: the edges run on the pod network, and everything that tells nodes where the edges
     * are (status, the edges' boot.json, the addon's profile.json the agent reads) names the pods' addresses, not the
     * hosts', and a pod without one yet is left out.
     */
    @Test
    void edgesOffTheHostNetworkAreGivenToNodesByTheirPodAddresses() throws Exception {
        harness.client.resource(image("bookworm")).create();
        publish("bookworm", DIGEST);
        var profile = profile("compute", "bookworm");
        profile.getSpec().edges = new NodeProfileSpec.Edges();
        profile.getSpec().edges.hostNetwork = false;
        harness.client.resource(profile).create();

        DaemonSet daemonSet = eventually(() -> harness.client.apps().daemonSets().inNamespace(NAMESPACE)
                .withName("compute-edge").get());
        var pod = daemonSet.getSpec().getTemplate().getSpec();
        assertThat(pod.getHostNetwork()).isFalse();
        assertThat(pod.getDnsPolicy()).isEqualTo("ClusterFirst");
        edgesScheduled("compute", 2);
        readyEdgePod("compute", "compute-edge-abcde", "192.168.10.11", "10.244.1.5");
        readyEdgePod("compute", "compute-edge-fghij", "192.168.10.12", "fd00:10:244::7");
        // Ready but with no pod address yet: nodes could not reach it, so it is not given to them (not as "null").
        readyEdgePod("compute", "compute-edge-klmno", "192.168.10.13", null);

        eventually(() -> assertThat(status("compute").readyEdges).isEqualTo(2));
        assertThat(status("compute").edgeUrls).containsExactly("http://10.244.1.5:8080", "http://[fd00:10:244::7]:8080");
        eventually(() -> assertThat(bootJson("compute").path("edgeUrls")).hasSize(2));
        assertThat(bootJson("compute").path("edgeUrls")).extracting(JsonNode::asText)
                .containsExactly("http://10.244.1.5:8080", "http://[fd00:10:244::7]:8080");
        var configMap = harness.client.configMaps().inNamespace(NAMESPACE).withName("compute-boot").get();
        var addon = cpioFiles(Base64.getDecoder().decode(configMap.getBinaryData().get("addon-compute.cpio")));
        JsonNode profileJson = JSON.readTree(addon.get("etc/tether/profile.json"));
        assertThat(profileJson.path("edges")).extracting(JsonNode::asText)
                .containsExactly("http://10.244.1.5:8080", "http://[fd00:10:244::7]:8080");
        assertThat(profileJson.path("nodeApi")).extracting(JsonNode::asText)
                .containsExactly("https://10.244.1.5:8443", "https://[fd00:10:244::7]:8443");
    }

    /**
     * A profile reconciles at every event of everything it watches (its image, its credentials, its edges); most change
     * nothing in its status, and an unchanged status is not written: a write costs the API server, wakes every watcher,
     * and comes back to this reconciler as one more event.
     */
    @Test
    void aReconciliationThatChangesNothingWritesNoStatus() throws Exception {
        harness.client.resource(image("bookworm")).create();
        publish("bookworm", DIGEST);
        harness.client.resource(profile("compute", "bookworm")).create();
        eventually(() -> assertThat(ready("compute").reason).isEqualTo("EdgesScheduling"));

        // An annotation on the image wakes the profile (its image informer) and changes nothing the profile shows.
        // The first round lets anything still under way settle; the second is measured.
        for (int round = 1; round <= 2; round++) {
            drainRequests();
            double reconciled = profileReconciliations();
            String value = Integer.toString(round);
            harness.client.resources(DisklessImage.class).inNamespace(NAMESPACE).withName("bookworm")
                    .edit(image -> {
                        var annotations = new HashMap<String, String>(java.util.Objects.requireNonNullElse(
                                image.getMetadata().getAnnotations(), Map.of()));
                        annotations.put("example.org/touched", value);
                        image.getMetadata().setAnnotations(annotations);
                        return image;
                    });
            eventually(() -> assertThat(profileReconciliations()).isGreaterThan(reconciled));
        }
        assertThat(drainRequests()).as("requests to the API server while the profile reconciled")
                .noneMatch(request -> request.startsWith("PUT") && request.contains("/nodeprofiles/compute/status"));
        assertThat(ready("compute").reason).isEqualTo("EdgesScheduling");
    }

    /** How many reconciliations of profiles have ended, as JOSDK's metrics count them. */
    private double profileReconciliations() {
        return harness.operator().metrics().getMeters().stream()
                .filter(meter -> meter.getId().getName().equals("operator.sdk.reconciliations.success")
                        && "NodeProfile".equals(meter.getId().getTag("kind")))
                .mapToDouble(meter -> meter.measure().iterator().next().getValue()).sum();
    }

    /** The requests the mock API server received since the last call, as "METHOD path". */
    private List<String> drainRequests() throws InterruptedException {
        var requests = new java.util.ArrayList<String>();
        for (RecordedRequest r; (r = harness.server.takeRequest(1, java.util.concurrent.TimeUnit.MILLISECONDS)) != null; ) {
            requests.add(r.getMethod() + " " + r.getPath());
        }
        return requests;
    }

    @Test
    void aPinnedDigestThatWasNeverPublishedIsReported() {
        harness.client.resource(image("bookworm")).create();
        publish("bookworm", DIGEST);
        var profile = profile("compute", "bookworm");
        profile.getSpec().image.digest = "sha256:" + "f".repeat(64);
        harness.client.resource(profile).create();

        eventually(() -> assertThat(ready("compute").reason).isEqualTo("PinnedVersionNotFound"));
    }

    static NodeProfile profile(String name, String image) {
        var profile = new NodeProfile();
        profile.getMetadata().setName(name);
        profile.getMetadata().setNamespace(NAMESPACE);
        profile.setSpec(new NodeProfileSpec());
        profile.getSpec().image = new NodeProfileSpec.ImageRef(image, null);
        return profile;
    }

    static DisklessImage image(String name) {
        var image = new DisklessImage();
        image.getMetadata().setName(name);
        image.getMetadata().setNamespace(NAMESPACE);
        image.setSpec(new DisklessImageSpec());
        image.getSpec().distribution = Distribution.DEBIAN;
        image.getSpec().release = "bookworm";
        return image;
    }

    static NodeCredential credential(String name, String profile, String mac) {
        var credential = new NodeCredential();
        credential.getMetadata().setName(name);
        credential.getMetadata().setNamespace(NAMESPACE);
        credential.setSpec(new NodeCredentialSpec());
        credential.getSpec().nodeName = name;
        credential.getSpec().profile = profile;
        credential.getSpec().hardware = new NodeCredentialSpec.Hardware();
        credential.getSpec().hardware.macs = List.of(mac);
        return credential;
    }

    /** A build that succeeds: the image reconciler publishes {@code digest} itself. */
    private void publish(String image, String digest) {
        String job = image + "-build-g1";
        eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName(job).get());
        BuilderJobs.succeed(harness, job, BuilderJobs.result(digest, "6.1.0-28-amd64", 100_000_000L));
        eventually(() -> assertThat(harness.client.resources(DisklessImage.class).inNamespace(NAMESPACE).withName(image).get()
                .getStatus().digest).isEqualTo(digest));
    }

    /** Plays the DaemonSet controller: it has counted {@code desired} nodes for the edges. */
    private void edgesScheduled(String profile, int desired) {
        eventually(() -> harness.client.apps().daemonSets().inNamespace(NAMESPACE).withName(profile + "-edge").get());
        harness.client.apps().daemonSets().inNamespace(NAMESPACE).withName(profile + "-edge").editStatus(ds -> {
            ds.setStatus(new io.fabric8.kubernetes.api.model.apps.DaemonSetStatus());
            ds.getStatus().setDesiredNumberScheduled(desired);
            ds.getStatus().setObservedGeneration(ds.getMetadata().getGeneration());
            return ds;
        });
    }

    private void readyEdgePod(String profile, String name, String hostIp) {
        readyEdgePod(profile, name, hostIp, hostIp);
    }

    private void readyEdgePod(String profile, String name, String hostIp, String podIp) {
        var labels = new HashMap<String, String>();
        labels.put("tether.dev/profile", profile);
        labels.put("app.kubernetes.io/component", "edge");
        harness.client.pods().inNamespace(NAMESPACE).resource(new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(NAMESPACE).withLabels(labels).endMetadata()
                .withNewSpec().addNewContainer().withName("edge").withImage("edge").endContainer().endSpec()
                .withNewStatus().withPhase("Running").withHostIP(hostIp).withPodIP(podIp)
                .addNewCondition().withType("Ready").withStatus("True").endCondition()
                .endStatus().build()).create();
    }

    private NodeProfileStatus status(String name) {
        return harness.client.resources(NodeProfile.class).inNamespace(NAMESPACE).withName(name).get().getStatus();
    }

    private Condition ready(String name) {
        var status = status(name);
        return status == null ? null : Condition.find(status.conditions, "Ready");
    }

    private JsonNode bootJson(String profile) throws Exception {
        var configMap = harness.client.configMaps().inNamespace(NAMESPACE).withName(profile + "-boot").get();
        return JSON.readTree(configMap.getData().get("boot.json"));
    }

    private static Map<String, byte[]> cpioFiles(byte[] archive) throws Exception {
        var files = new HashMap<String, byte[]>();
        try (var in = new CpioArchiveInputStream(new ByteArrayInputStream(archive))) {
            for (var entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                if (entry.isRegularFile()) {
                    files.put(entry.getName(), in.readAllBytes());
                }
            }
        }
        return files;
    }
}
