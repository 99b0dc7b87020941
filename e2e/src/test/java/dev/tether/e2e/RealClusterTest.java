package dev.tether.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.marcnuri.helm.Helm;
import dev.tether.api.v1alpha1.DisklessImage;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The chart on a real Kubernetes (k3s in a container): the CRDs are established and validate for
 * real, the operator starts, and the samples become a builder Job and an edge DaemonSet. Needs a
 * Docker engine; without one it is skipped, saying so.
 */
class RealClusterTest {
    private static final String NAMESPACE = "tether-system";
    private static final String TAG = "e2e";

    private static K3sContainer k3s;
    private static KubernetesClient client;

    private static final String NO_DOCKER = "SKIPPED: no Docker engine on this machine, so no k3s cluster can be started; "
            + "the operator is tested against the Fabric8 mock API server instead (operator module)";

    @BeforeAll
    static void startCluster() throws Exception {
        if (!dockerAvailable()) {
            System.err.println("RealClusterTest " + NO_DOCKER);
            return;
        }
        Path root = repositoryRoot();
        k3s = new K3sContainer(DockerImageName.parse("rancher/k3s:v1.31.4-k3s1"));
        k3s.start();
        for (String part : new String[] {"operator", "content-server", "builder"}) {
            loadIntoCluster(buildImage(root, part));
        }
        String kubeconfig = k3s.getKubeConfigYaml();
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfig)).build();
        new Helm(root.resolve("helm/tether")).install()
                .withKubeConfigContents(kubeconfig)
                .withName("tether")
                .withNamespace(NAMESPACE)
                .createNamespace()
                .set("operator.image.repository", "tether/operator").set("operator.image.tag", TAG)
                .set("operator.image.pullPolicy", "Never")
                .set("contentServer.image.repository", "tether/content-server").set("contentServer.image.tag", TAG)
                .set("contentServer.image.pullPolicy", "Never")
                .set("builder.image.repository", "tether/builder").set("builder.image.tag", TAG)
                .set("builder.image.pullPolicy", "Never")
                .set("origin.storage.size", "1Gi")
                .waitReady()
                .call();
    }

    @AfterAll
    static void stopCluster() {
        if (client != null) {
            client.close();
        }
        if (k3s != null) {
            k3s.stop();
        }
    }

    @Test
    void theCrdsAreEstablishedAndTheApiServerValidatesWithThem() {
        Assumptions.assumeTrue(client != null, NO_DOCKER);
        for (String name : new String[] {"disklessimages.tether.dev", "nodeprofiles.tether.dev", "nodecredentials.tether.dev"}) {
            CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().withName(name).get();
            assertThat(crd.getStatus().getConditions()).anySatisfy(c -> {
                assertThat(c.getType()).isEqualTo("Established");
                assertThat(c.getStatus()).isEqualTo("True");
            });
        }
        assertThatThrownBy(() -> client.resource("""
                apiVersion: tether.dev/v1alpha1
                kind: DisklessImage
                metadata: {name: no-release, namespace: default}
                spec: {distribution: debian}
                """).create())
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining("need a release");
    }

    @Test
    void theSamplesBecomeABuilderJobAndAnEdgeDaemonSet() throws Exception {
        Assumptions.assumeTrue(client != null, NO_DOCKER);
        Path samples = repositoryRoot().resolve("samples");
        for (String sample : new String[] {"debian-image.yaml", "compute-profile.yaml", "node-credential.yaml"}) {
            try (InputStream in = Files.newInputStream(samples.resolve(sample))) {
                client.load(in).inNamespace("default").create();
            }
        }
        await().atMost(Duration.ofMinutes(3)).untilAsserted(() ->
                assertThat(client.batch().v1().jobs().inNamespace("default").withName("bookworm-build-g1").get()).isNotNull());
        await().atMost(Duration.ofMinutes(3)).untilAsserted(() ->
                assertThat(client.apps().daemonSets().inNamespace("default").withName("compute-edge").get()).isNotNull());
        var image = client.resources(DisklessImage.class).inNamespace("default").withName("bookworm").get();
        assertThat(image.getStatus().phase).isNotNull();
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static String buildImage(Path root, String part) {
        String name = "tether/" + part + ":" + TAG;
        return new ImageFromDockerfile(name, false)
                .withFileFromPath(".", root)
                .withDockerfile(root.resolve("deploy/containers/" + part + ".Containerfile"))
                .get();
    }

    /** k3s runs its own containerd: images built by the host's engine are imported into it. */
    private static void loadIntoCluster(String image) throws Exception {
        Path tar = Files.createTempFile("tether-image-", ".tar");
        try (InputStream saved = DockerClientFactory.instance().client().saveImageCmd(image).exec()) {
            Files.copy(saved, tar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        k3s.copyFileToContainer(MountableFile.forHostPath(tar), "/tmp/image.tar");
        var result = k3s.execInContainer("ctr", "-n", "k8s.io", "images", "import", "/tmp/image.tar");
        if (result.getExitCode() != 0) {
            throw new IllegalStateException("could not import " + image + " into k3s: " + result.getStderr());
        }
        Files.deleteIfExists(tar);
    }

    static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
            dir = dir.getParent();
        }
        return dir;
    }
}
