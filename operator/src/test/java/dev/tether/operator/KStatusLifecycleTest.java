package dev.tether.operator;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageSpec;
import dev.tether.api.v1alpha1.Distribution;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.operator.KStatus.Status;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each kind's life cycle read as Flux, {@code kubectl wait} and Argo CD read it ({@link KStatus}): in progress while
 * the operator works, failed (Stalled) when it needs someone to change something, Current only when done.
 */
class KStatusLifecycleTest {
    static final String DIGEST = "sha256:" + "a".repeat(64);

    @RegisterExtension
    final OperatorHarness harness = new OperatorHarness(OperatorHarness.NO_ORIGIN);

    @Test
    void anImageIsInProgressWhileItBuildsAndCurrentOncePublished() {
        harness.client.resource(image("bookworm", List.of())).create();
        eventually(() -> assertThat(conditionReason(image("bookworm"), Condition.RECONCILING)).isEqualTo("Building"));
        var building = image("bookworm");
        assertThat(KStatus.summarize(building)).isEqualTo(Status.IN_PROGRESS);
        assertThat(condition(building, Condition.READY).status).isEqualTo(Condition.FALSE);
        assertThat(condition(building, Condition.READY).observedGeneration).isEqualTo(1L);

        BuilderJobs.succeed(harness, "bookworm-build-g1", BuilderJobs.result(DIGEST, "6.1.0-28-amd64", 100_000_000L));

        eventually(() -> assertThat(KStatus.summarize(image("bookworm"))).isEqualTo(Status.CURRENT));
        assertThat(condition(image("bookworm"), Condition.READY).message).contains("aaaaaaaaaaaa");
        assertThat(condition(image("bookworm"), Condition.RECONCILING)).isNull();

        harness.edit(DisklessImage.class, "bookworm", i -> {
            i.getSpec().packages = List.of("htop");
            return i;
        });
        eventually(() -> assertThat(condition(image("bookworm"), Condition.RECONCILING).observedGeneration).isEqualTo(2L));
        var rebuilding = image("bookworm");
        assertThat(KStatus.summarize(rebuilding)).as("a spec change is in progress until its build is published").isEqualTo(Status.IN_PROGRESS);
        assertThat(condition(rebuilding, Condition.READY).message).contains("still served");
    }

    @Test
    void aFailedBuildStallsTheImageUntilTheSpecChanges() {
        harness.client.resource(image("broken", List.of("no-such-package"))).create();
        eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("broken-build-g1").get());

        BuilderJobs.fail(harness, "broken-build-g1", "E: Unable to locate package no-such-package");

        eventually(() -> assertThat(KStatus.summarize(image("broken"))).isEqualTo(Status.FAILED));
        var stalled = condition(image("broken"), Condition.STALLED);
        assertThat(stalled.reason).isEqualTo("BuildFailed");
        assertThat(stalled.message).contains("no-such-package").contains("kubectl logs");
        assertThat(condition(image("broken"), Condition.RECONCILING)).isNull();

        harness.edit(DisklessImage.class, "broken", i -> {
            i.getSpec().packages = List.of();
            return i;
        });
        // Until the operator has seen the new spec, kstatus says in progress from the generations alone.
        eventually(() -> assertThat(image("broken").getStatus().observedGeneration).isEqualTo(2L));
        assertThat(KStatus.summarize(image("broken"))).isEqualTo(Status.IN_PROGRESS);
        assertThat(condition(image("broken"), Condition.STALLED)).as("a new build clears the stall").isNull();
    }

    @Test
    void aProfileStallsOnAMissingImageWaitsForEdgesAndIsCurrentWhenAllServe() {
        harness.client.resource(profile("compute", "bookworm")).create();
        eventually(() -> assertThat(KStatus.summarize(profile("compute"))).isEqualTo(Status.FAILED));
        assertThat(condition(profile("compute"), Condition.STALLED).reason).isEqualTo("ImageNotFound");

        harness.client.resource(image("bookworm", List.of())).create();
        eventually(() -> assertThat(conditionReason(profile("compute"), Condition.RECONCILING)).isEqualTo("ImageNotPublished"));
        assertThat(KStatus.summarize(profile("compute"))).as("the image is building: no one needs to act").isEqualTo(Status.IN_PROGRESS);

        BuilderJobs.succeed(harness, "bookworm-build-g1", BuilderJobs.result(DIGEST, "6.1.0-28-amd64", 100_000_000L));
        eventually(() -> assertThat(conditionReason(profile("compute"), Condition.RECONCILING)).isEqualTo("EdgesScheduling"));

        edgesScheduled("compute", 2);
        readyEdgePod("compute", "compute-edge-1", "192.168.10.11");
        eventually(() -> assertThat(conditionReason(profile("compute"), Condition.RECONCILING)).isEqualTo("EdgesNotReady"));
        assertThat(KStatus.summarize(profile("compute"))).isEqualTo(Status.IN_PROGRESS);
        assertThat(condition(profile("compute"), Condition.READY).message).contains("1 of 2 ready");

        readyEdgePod("compute", "compute-edge-2", "192.168.10.12");
        eventually(() -> assertThat(KStatus.summarize(profile("compute"))).isEqualTo(Status.CURRENT));
        assertThat(condition(profile("compute"), Condition.READY).reason).isEqualTo("Serving");
    }

    @Test
    void aProfileWhoseImageFailedToBuildIsStalled() {
        harness.client.resource(image("broken", List.of())).create();
        harness.client.resource(profile("compute", "broken")).create();
        eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("broken-build-g1").get());

        BuilderJobs.fail(harness, "broken-build-g1", "debootstrap exited with 100");

        eventually(() -> assertThat(conditionReason(profile("compute"), Condition.STALLED)).isEqualTo("ImageBuildFailed"));
        assertThat(KStatus.summarize(profile("compute"))).isEqualTo(Status.FAILED);
    }

    @Test
    void aCredentialStallsWithoutItsProfileAndIsCurrentWithIt() {
        harness.client.resource(credential("node-001", "compute")).create();
        eventually(() -> assertThat(KStatus.summarize(credential("node-001"))).isEqualTo(Status.FAILED));
        assertThat(condition(credential("node-001"), Condition.STALLED).message).contains("fix spec.profile");

        // The profile's creation alone brings the credential back: nobody has to touch the credential.
        harness.client.resource(profile("compute", "bookworm")).create();
        eventually(() -> assertThat(KStatus.summarize(credential("node-001"))).isEqualTo(Status.CURRENT));
        assertThat(condition(credential("node-001"), Condition.READY).observedGeneration).isEqualTo(1L);

        harness.client.resource(profile("compute", "bookworm")).delete();
        eventually(() -> assertThat(KStatus.summarize(credential("node-001"))).isEqualTo(Status.FAILED));
    }

    @Test
    void theRulesThemselves() {
        var image = image("x", List.of());
        image.getMetadata().setGeneration(3L);
        image.setStatus(new dev.tether.api.v1alpha1.DisklessImageStatus());
        image.getStatus().observedGeneration = 2L;
        image.getStatus().conditions = List.of(new Condition(Condition.READY, true, "Published", "", 2L));
        assertThat(KStatus.compute(image)).as("an unobserved generation").isEqualTo(Status.IN_PROGRESS);
        image.getStatus().observedGeneration = 3L;
        image.getStatus().conditions = List.of(new Condition(Condition.READY, false, "Building", "", 3L));
        assertThat(KStatus.compute(image)).as("kstatus alone ignores Ready").isEqualTo(Status.CURRENT);
        assertThat(KStatus.summarize(image)).isEqualTo(Status.NOT_READY_WITHOUT_REASON);
    }

    private static DisklessImage image(String name, List<String> packages) {
        var image = new DisklessImage();
        image.getMetadata().setName(name);
        image.getMetadata().setNamespace(NAMESPACE);
        image.setSpec(new DisklessImageSpec());
        image.getSpec().distribution = Distribution.DEBIAN;
        image.getSpec().release = "bookworm";
        image.getSpec().packages = packages;
        return image;
    }

    private static NodeProfile profile(String name, String image) {
        var profile = new NodeProfile();
        profile.getMetadata().setName(name);
        profile.getMetadata().setNamespace(NAMESPACE);
        profile.setSpec(new NodeProfileSpec());
        profile.getSpec().image = new NodeProfileSpec.ImageRef(image, null);
        return profile;
    }

    private static NodeCredential credential(String name, String profile) {
        var credential = new NodeCredential();
        credential.getMetadata().setName(name);
        credential.getMetadata().setNamespace(NAMESPACE);
        credential.setSpec(new NodeCredentialSpec());
        credential.getSpec().nodeName = name;
        credential.getSpec().profile = profile;
        credential.getSpec().hardware = new NodeCredentialSpec.Hardware();
        credential.getSpec().hardware.macs = List.of("52:54:00:12:34:56");
        return credential;
    }

    private DisklessImage image(String name) {
        return harness.client.resources(DisklessImage.class).inNamespace(NAMESPACE).withName(name).get();
    }

    private NodeProfile profile(String name) {
        return harness.client.resources(NodeProfile.class).inNamespace(NAMESPACE).withName(name).get();
    }

    private NodeCredential credential(String name) {
        return harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName(name).get();
    }

    /** Plays the DaemonSet controller: it has counted {@code desired} nodes for the edges. */
    private void edgesScheduled(String profile, int desired) {
        var daemonSet = eventually(() -> harness.client.apps().daemonSets().inNamespace(NAMESPACE).withName(Names.edgeDaemonSet(profile)).get());
        harness.client.apps().daemonSets().inNamespace(NAMESPACE).withName(daemonSet.getMetadata().getName()).editStatus(ds -> {
            var status = new DaemonSetStatus();
            status.setDesiredNumberScheduled(desired);
            status.setObservedGeneration(ds.getMetadata().getGeneration());
            ds.setStatus(status);
            return ds;
        });
    }

    private void readyEdgePod(String profile, String name, String hostIp) {
        harness.client.pods().inNamespace(NAMESPACE).resource(new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(NAMESPACE)
                .withLabels(Map.of(Names.PROFILE_LABEL, profile, Names.COMPONENT, "edge")).endMetadata()
                .withNewSpec().addNewContainer().withName("edge").withImage("edge").endContainer().endSpec()
                .withNewStatus().withPhase("Running").withHostIP(hostIp).withPodIP(hostIp)
                .addNewCondition().withType("Ready").withStatus("True").endCondition()
                .endStatus().build()).create();
    }

    private static Condition condition(HasMetadata resource, String type) {
        List<Condition> conditions = switch (resource) {
            case DisklessImage i -> i.getStatus() == null ? null : i.getStatus().conditions;
            case NodeProfile p -> p.getStatus() == null ? null : p.getStatus().conditions;
            case NodeCredential c -> c.getStatus() == null ? null : c.getStatus().conditions;
            default -> null;
        };
        return Condition.find(conditions, type);
    }

    private static String conditionReason(HasMetadata resource, String type) {
        var condition = condition(resource, type);
        return condition == null ? null : condition.reason;
    }
}
