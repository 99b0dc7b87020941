package dev.tether.operator.image;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageSpec;
import dev.tether.api.v1alpha1.DisklessImageStatus;
import dev.tether.api.v1alpha1.Distribution;
import dev.tether.operator.BuilderJobs;
import dev.tether.operator.OperatorHarness;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The image build flow against the mock API server; the test plays the Job controller and the builder. */
class DisklessImageReconcilerTest {
    static final String DIGEST_A = "sha256:" + "a".repeat(64);
    static final String DIGEST_B = "sha256:" + "b".repeat(64);

    @RegisterExtension
    final OperatorHarness harness = new OperatorHarness(OperatorHarness.NO_ORIGIN);

    @Test
    void anImageGetsAKeyAndABuilderJobThatRunsImgutil() {
        create("bookworm", List.of("openssh-server"));

        Job job = eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("bookworm-build-g1").get());
        var keySecret = eventually(() -> harness.client.secrets().inNamespace(NAMESPACE).withName("bookworm-key-g1").get());
        assertThat(Base64.getDecoder().decode(keySecret.getData().get("key"))).hasSize(32);
        assertThat(keySecret.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getKind()).isEqualTo("DisklessImage"));
        assertThat(job.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getName()).isEqualTo("bookworm"));

        var container = job.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(container.getImage()).isEqualTo("registry.example/tether/builder:test");
        assertThat(container.getCommand()).containsSequence("imgutil", "run-spec")
                .containsSequence("--key-file", "/etc/tether/key/key")
                .containsSequence("--origin", "http://127.0.0.1:9")
                .containsSequence("--result-file", "/dev/termination-log");
        assertThat(container.getSecurityContext().getPrivileged()).isTrue();
        assertThat(job.getSpec().getTtlSecondsAfterFinished()).as("Kubernetes removes the finished Job a day later").isEqualTo(86400);
        assertThat(job.getSpec().getTemplate().getSpec().getVolumes())
                .anySatisfy(v -> assertThat(v.getSecret() != null && "bookworm-key-g1".equals(v.getSecret().getSecretName())).isTrue());
        assertThat(harness.client.configMaps().inNamespace(NAMESPACE).withName("bookworm-build-g1-spec").get().getData().get("spec.json"))
                .contains("\"openssh-server\"").contains("\"bookworm\"");
        assertThat(container.getCommand()).containsSequence("--token-file", "/etc/tether/upload-grant/token");
        assertThat(harness.client.secrets().inNamespace(NAMESPACE).withName("bookworm-upload-g1").get()).as("the build's upload grant").isNotNull();
        assertThat(harness.client.secrets().inNamespace(NAMESPACE).withName(UploadToken.LEGACY_NAMESPACE_COPY).get())
                .as("no copy of the origin's token").isNull();

        eventually(() -> assertThat(image("bookworm").getStatus().phase).isEqualTo(DisklessImageStatus.Phase.BUILDING));
    }

    /** A key that exists may have been used by a build already: it is never made again, whatever the operator saw. */
    @Test
    void anExistingKeyIsKeptAsItIsAndTheBuildUsesIt() {
        String existing = Base64.getEncoder().encodeToString(new byte[32]);
        harness.client.secrets().inNamespace(NAMESPACE).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata().withName("bookworm-key-g1").withNamespace(NAMESPACE)
                .addToLabels(harness.labels("image-key")).endMetadata()
                .addToData("key", existing).build()).create();
        create("bookworm", List.of());

        Job job = eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("bookworm-build-g1").get());
        assertThat(job.getSpec().getTemplate().getSpec().getVolumes())
                .anySatisfy(v -> assertThat(v.getSecret() != null && "bookworm-key-g1".equals(v.getSecret().getSecretName())).isTrue());
        assertThat(harness.client.secrets().inNamespace(NAMESPACE).withName("bookworm-key-g1").get().getData().get("key"))
                .isEqualTo(existing);
        // ... and the build goes on with it: status says it runs, and it publishes.
        eventually(() -> assertThat(image("bookworm").getStatus().phase).isEqualTo(DisklessImageStatus.Phase.BUILDING));
        builderSucceeds("bookworm-build-g1", DIGEST_A, "6.1.0-28-amd64", 100_000_000L);
        eventually(() -> assertThat(image("bookworm").getStatus().phase).isEqualTo(DisklessImageStatus.Phase.PUBLISHED));
        assertThat(harness.client.secrets().inNamespace(NAMESPACE).withName("bookworm-key-g1").get().getData().get("key"))
                .isEqualTo(existing);
    }

    @Test
    void aFinishedBuildKeepsItsKeyAndJobAndDropsItsGrantAndSpec() {
        create("bookworm", List.of());
        eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("bookworm-build-g1").get());
        String key = harness.client.secrets().inNamespace(NAMESPACE).withName("bookworm-key-g1").get().getData().get("key");

        builderSucceeds("bookworm-build-g1", DIGEST_A, "6.1.0-28-amd64", 100_000_000L);

        eventually(() -> assertThat(harness.client.secrets().inNamespace(NAMESPACE).withName("bookworm-upload-g1").get())
                .as("a finished build uploads nothing more").isNull());
        eventually(() -> assertThat(harness.client.configMaps().inNamespace(NAMESPACE).withName("bookworm-build-g1-spec").get())
                .isNull());
        assertThat(image("bookworm").getStatus().phase).isEqualTo(DisklessImageStatus.Phase.PUBLISHED);
        assertThat(harness.client.secrets().inNamespace(NAMESPACE).withName("bookworm-key-g1").get().getData().get("key"))
                .as("the published version's key, unchanged").isEqualTo(key);
        assertThat(harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("bookworm-build-g1").get())
                .as("kept for its log until Kubernetes removes it").isNotNull();
    }

    @Test
    void aSucceedingBuildPublishesTheDigestItReported() {
        create("bookworm", List.of());
        eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("bookworm-build-g1").get());

        builderSucceeds("bookworm-build-g1", DIGEST_A, "6.1.0-28-amd64", 853_123_072L);

        eventually(() -> assertThat(image("bookworm").getStatus().phase).isEqualTo(DisklessImageStatus.Phase.PUBLISHED));
        var status = image("bookworm").getStatus();
        assertThat(status.digest).isEqualTo(DIGEST_A);
        assertThat(status.shortDigest).isEqualTo("aaaaaaaaaaaa");
        assertThat(status.size).isEqualTo("813.6Mi");
        assertThat(status.kernelVersion).isEqualTo("6.1.0-28-amd64");
        assertThat(status.artifacts.rootImage).isEqualTo("/blobs/sha256/" + "d".repeat(64));
        assertThat(status.versions).singleElement().satisfies(v -> {
            assertThat(v.digest).isEqualTo(DIGEST_A);
            assertThat(v.keySecret).isEqualTo("bookworm-key-g1");
            assertThat(v.encrypted).isTrue();
        });
        assertThat(Condition.find(status.conditions, "Built").isTrue()).isTrue();
        assertThat(Condition.find(status.conditions, "Published").isTrue()).isTrue();
        assertThat(status.observedGeneration).isEqualTo(1L);
        assertThat(events("bookworm")).anySatisfy(note -> assertThat(note).contains("Published version " + DIGEST_A));
        assertThat(harness.operator().metrics().get("tether.image.build.duration").tags("outcome", "succeeded", "namespace", NAMESPACE)
                .timer().totalTime(java.util.concurrent.TimeUnit.SECONDS)).as("the builder's own figure").isEqualTo(312.0);
    }

    @Test
    void aFailingBuildSaysWhyWithTheBuildersLastLines() {
        create("broken", List.of());
        eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("broken-build-g1").get());

        builderFails("broken-build-g1", "E: Unable to locate package no-such-package\nimgutil: build failed: debootstrap exited with 100");

        eventually(() -> assertThat(image("broken").getStatus().phase).isEqualTo(DisklessImageStatus.Phase.FAILED));
        var status = image("broken").getStatus();
        var built = Condition.find(status.conditions, "Built");
        assertThat(built.isTrue()).isFalse();
        assertThat(built.reason).isEqualTo("BuildFailed");
        assertThat(built.message).contains("BackoffLimitExceeded").contains("debootstrap exited with 100");
        assertThat(status.build.failure).contains("Unable to locate package no-such-package");
        assertThat(status.digest).isNull();
        assertThat(events("broken")).anySatisfy(note -> assertThat(note).contains("failed"));
        assertThat(harness.operator().metrics().get("tether.image.build.duration").tags("outcome", "failed").timer().count()).isEqualTo(1);
    }

    @Test
    void aSpecChangeBuildsANewVersionWhileTheOldOneStaysPublished() {
        create("bookworm", List.of());
        eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("bookworm-build-g1").get());
        builderSucceeds("bookworm-build-g1", DIGEST_A, "6.1.0-28-amd64", 100_000_000L);
        eventually(() -> assertThat(image("bookworm").getStatus().phase).isEqualTo(DisklessImageStatus.Phase.PUBLISHED));

        harness.edit(DisklessImage.class, "bookworm", i -> {
                    i.getSpec().packages = List.of("htop");
                    return i;
                });

        eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("bookworm-build-g2").get());
        eventually(() -> assertThat(image("bookworm").getStatus().phase).isEqualTo(DisklessImageStatus.Phase.BUILDING));
        var building = image("bookworm").getStatus();
        assertThat(building.digest).as("the old version is still served while the new one builds").isEqualTo(DIGEST_A);
        assertThat(Condition.find(building.conditions, "Published").isTrue()).isTrue();
        assertThat(harness.client.secrets().inNamespace(NAMESPACE).withName("bookworm-key-g2").get())
                .as("a new build gets a new key").isNotNull();
        var firstKey = harness.client.secrets().inNamespace(NAMESPACE).withName("bookworm-key-g1").get();
        assertThat(firstKey).as("the published version's key is kept").isNotNull();

        builderSucceeds("bookworm-build-g2", DIGEST_B, "6.1.0-29-amd64", 110_000_000L);
        eventually(() -> assertThat(image("bookworm").getStatus().digest).isEqualTo(DIGEST_B));
        assertThat(image("bookworm").getStatus().versions).extracting(v -> v.digest).containsExactly(DIGEST_B, DIGEST_A);
    }

    @Test
    void anUnencryptedImageHasNoKey() {
        var image = newImage("plain", List.of());
        image.getSpec().encryption = DisklessImageSpec.Encryption.DISABLED;
        harness.client.resource(image).create();

        Job job = eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("plain-build-g1").get());
        assertThat(job.getSpec().getTemplate().getSpec().getContainers().getFirst().getCommand()).doesNotContain("--key-file");
        assertThat(harness.client.configMaps().inNamespace(NAMESPACE).withName("plain-build-g1-spec").get().getData().get("spec.json"))
                .contains("\"encryption\":\"disabled\"");
        assertThat(harness.client.secrets().inNamespace(NAMESPACE).withLabel("tether.dev/image", "plain").list().getItems()).isEmpty();
    }

    @Test
    void anOciImagesBuilderGetsThePullSecretMountedReadOnlyAndNothingElseOfIt() {
        harness.client.resource(newOciImage("compute", "registry.example.org/hpc/compute:2024.1", "regcred")).create();

        Job job = eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("compute-build-g1").get());
        var pod = job.getSpec().getTemplate().getSpec();
        var container = pod.getContainers().getFirst();
        assertThat(container.getCommand()).containsSequence("--pull-secret", "/etc/tether/pull-secret");
        assertThat(pod.getVolumes()).filteredOn(v -> v.getName().equals("pull-secret")).singleElement().satisfies(v -> {
            assertThat(v.getSecret().getSecretName()).isEqualTo("regcred");
            assertThat(v.getSecret().getDefaultMode()).isEqualTo(0400);
        });
        assertThat(container.getVolumeMounts()).filteredOn(m -> m.getName().equals("pull-secret")).singleElement()
                .satisfies(m -> {
                    assertThat(m.getMountPath()).isEqualTo("/etc/tether/pull-secret");
                    assertThat(m.getReadOnly()).isTrue();
                });
        assertThat(harness.client.configMaps().inNamespace(NAMESPACE).withName("compute-build-g1-spec").get().getData()
                .get("spec.json")).contains("\"distribution\":\"oci\"", "\"image\":\"registry.example.org/hpc/compute:2024.1\"");
        eventually(() -> assertThat(events("compute")).anySatisfy(note -> assertThat(note)
                .contains("The pull Secret regcred is not in namespace " + NAMESPACE, "create secret docker-registry regcred")));
    }

    @Test
    void aSecretThatIsNotRegistryCredentialsIsNeverMountedAndTheBuildSaysWhy() {
        harness.client.secrets().inNamespace(NAMESPACE).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata().withName("db-password").withNamespace(NAMESPACE).endMetadata()
                .withType("Opaque").addToStringData("password", "hunter2").build()).create();
        harness.client.resource(newOciImage("sneaky", "registry.example.org/hpc/compute:2024.1", "db-password")).create();

        eventually(() -> assertThat(image("sneaky").getStatus().phase).isEqualTo(DisklessImageStatus.Phase.FAILED));
        var built = Condition.find(image("sneaky").getStatus().conditions, "Built");
        assertThat(built.reason).isEqualTo("PullSecretRefused");
        assertThat(built.message).contains("The pull Secret db-password has type Opaque",
                "only registry credentials (kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg)",
                "create secret docker-registry");
        assertThat(harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("sneaky-build-g1").get()).isNull();
        assertThat(events("sneaky")).anySatisfy(note -> assertThat(note).contains("has type Opaque"));
    }

    @Test
    void aDockerConfigSecretIsMountedWithoutAWarning() {
        harness.client.secrets().inNamespace(NAMESPACE).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata().withName("regcred").withNamespace(NAMESPACE).endMetadata()
                .withType("kubernetes.io/dockerconfigjson")
                .addToStringData(".dockerconfigjson", "{\"auths\":{}}").build()).create();
        harness.client.resource(newOciImage("compute", "registry.example.org/hpc/compute:2024.1", "regcred")).create();

        Job job = eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("compute-build-g1").get());
        assertThat(job.getSpec().getTemplate().getSpec().getVolumes()).anySatisfy(v -> assertThat(v.getSecret() != null
                && "regcred".equals(v.getSecret().getSecretName())).isTrue());
        eventually(() -> assertThat(events("compute")).anySatisfy(note -> assertThat(note).contains("Started builder Job")));
        assertThat(events("compute")).noneMatch(note -> note.contains("pull Secret"));
    }

    @Test
    void anImageWithoutAPullSecretGetsNoCredentialsVolume() {
        harness.client.resource(newOciImage("public", "registry.example.org/hpc/compute:2024.1", null)).create();

        Job job = eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("public-build-g1").get());
        assertThat(job.getSpec().getTemplate().getSpec().getContainers().getFirst().getCommand()).doesNotContain("--pull-secret");
        assertThat(job.getSpec().getTemplate().getSpec().getVolumes()).noneMatch(v -> v.getName().equals("pull-secret"));
    }

    @Test
    void aBuildFromAnOciImageRecordsTheImagesManifestDigest() {
        String source = "sha256:" + "5".repeat(64);
        harness.client.resource(newOciImage("compute", "registry.example.org/hpc/compute:2024.1", null)).create();
        eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("compute-build-g1").get());

        String line = BuilderJobs.result(DIGEST_A, "6.1.0-28-amd64", 100_000_000L);
        BuilderJobs.succeed(harness, "compute-build-g1", line.replace("}", ",\"sourceDigest\":\"" + source + "\"}"));

        eventually(() -> assertThat(image("compute").getStatus().phase).isEqualTo(DisklessImageStatus.Phase.PUBLISHED));
        var status = image("compute").getStatus();
        assertThat(status.sourceDigest).isEqualTo(source);
        assertThat(status.versions).singleElement().satisfies(v -> assertThat(v.sourceDigest).isEqualTo(source));
    }

    /** spec.builder.nodeSelector: the builder pod runs only on the cluster nodes it names. */
    @Test
    void theBuildersNodeSelectorReachesTheBuilderPod() {
        var image = newImage("bookworm", List.of());
        image.getSpec().builder = new DisklessImageSpec.Builder();
        image.getSpec().builder.nodeSelector = Map.of("tether.dev/builder", "true", "kubernetes.io/arch", "amd64");
        harness.client.resource(image).create();

        Job job = eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE)
                .withName("bookworm-build-g1").get());
        assertThat(job.getSpec().getTemplate().getSpec().getNodeSelector())
                .containsExactlyInAnyOrderEntriesOf(Map.of("tether.dev/builder", "true", "kubernetes.io/arch", "amd64"));
    }

    /**
     * status.buildLog is "how to read the log of the newest build": the running build's from its start, not the last
     * finished one's while a new one runs.
     */
    @Test
    void theBuildLogNamesTheNewestBuildWhileItRuns() {
        create("bookworm", List.of());
        eventually(() -> assertThat(image("bookworm").getStatus().phase).isEqualTo(DisklessImageStatus.Phase.BUILDING));
        assertThat(image("bookworm").getStatus().buildLog)
                .isEqualTo("kubectl logs -n " + NAMESPACE + " job/bookworm-build-g1");
        builderSucceeds("bookworm-build-g1", DIGEST_A, "6.1.0-28-amd64", 100_000_000L);
        eventually(() -> assertThat(image("bookworm").getStatus().phase).isEqualTo(DisklessImageStatus.Phase.PUBLISHED));

        harness.edit(DisklessImage.class, "bookworm", i -> {
            i.getSpec().packages = List.of("htop");
            return i;
        });

        // The build of generation 2 and its log are written in the same status write.
        eventually(() -> assertThat(image("bookworm").getStatus().build.generation).isEqualTo(2L));
        var building = image("bookworm").getStatus();
        assertThat(building.digest).as("generation 1's version is still served").isEqualTo(DIGEST_A);
        assertThat(building.buildLog).isEqualTo("kubectl logs -n " + NAMESPACE + " job/bookworm-build-g2");
        builderSucceeds("bookworm-build-g2", DIGEST_B, "6.1.0-29-amd64", 110_000_000L);
        eventually(() -> assertThat(image("bookworm").getStatus().digest).isEqualTo(DIGEST_B));
        assertThat(image("bookworm").getStatus().buildLog)
                .isEqualTo("kubectl logs -n " + NAMESPACE + " job/bookworm-build-g2");
    }

    /** A build refused before it ran (its pull Secret) has no log: status does not point at the previous build's. */
    @Test
    void aRefusedBuildPointsAtNoOlderBuildsLog() {
        harness.client.secrets().inNamespace(NAMESPACE).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata().withName("db-password").withNamespace(NAMESPACE).endMetadata()
                .withType("Opaque").addToStringData("password", "hunter2").build()).create();
        harness.client.resource(newOciImage("compute", "registry.example.org/hpc/compute:2024.1", null)).create();
        eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("compute-build-g1").get());
        builderSucceeds("compute-build-g1", DIGEST_A, "6.1.0-28-amd64", 100_000_000L);
        eventually(() -> assertThat(image("compute").getStatus().phase).isEqualTo(DisklessImageStatus.Phase.PUBLISHED));

        harness.edit(DisklessImage.class, "compute", i -> {
            i.getSpec().source.pullSecret = "db-password";
            return i;
        });

        eventually(() -> assertThat(image("compute").getStatus().phase).isEqualTo(DisklessImageStatus.Phase.FAILED));
        var status = image("compute").getStatus();
        assertThat(status.build.generation).isEqualTo(2L);
        assertThat(status.buildLog).as("no Job ran for generation 2").isNull();
        assertThat(Condition.find(status.conditions, Condition.STALLED).message)
                .contains("has type Opaque", "Fix the spec (a new generation builds again).")
                .doesNotContain("compute-build-g1", "see null");
    }

    private void create(String name, List<String> packages) {
        harness.client.resource(newImage(name, packages)).create();
    }

    static DisklessImage newImage(String name, List<String> packages) {
        var image = new DisklessImage();
        image.getMetadata().setName(name);
        image.getMetadata().setNamespace(NAMESPACE);
        var spec = new DisklessImageSpec();
        spec.distribution = Distribution.DEBIAN;
        spec.release = "bookworm";
        spec.packages = packages;
        image.setSpec(spec);
        return image;
    }

    static DisklessImage newOciImage(String name, String reference, String pullSecret) {
        var image = new DisklessImage();
        image.getMetadata().setName(name);
        image.getMetadata().setNamespace(NAMESPACE);
        var spec = new DisklessImageSpec();
        spec.distribution = Distribution.OCI;
        spec.source = new DisklessImageSpec.OciSource(reference, pullSecret);
        image.setSpec(spec);
        return image;
    }

    private DisklessImage image(String name) {
        return harness.client.resources(DisklessImage.class).inNamespace(NAMESPACE).withName(name).get();
    }

    private List<String> events(String name) {
        return harness.client.events().v1().events().inNamespace(NAMESPACE).list().getItems().stream()
                .filter(e -> name.equals(e.getRegarding().getName()))
                .map(e -> e.getNote())
                .toList();
    }

    void builderSucceeds(String jobName, String digest, String kernel, long bytes) {
        BuilderJobs.succeed(harness, jobName, BuilderJobs.result(digest, kernel, bytes));
    }

    void builderFails(String jobName, String output) {
        BuilderJobs.fail(harness, jobName, output);
    }
}
