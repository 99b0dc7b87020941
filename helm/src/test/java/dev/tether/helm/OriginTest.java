package dev.tether.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The origin: content store on a persistent volume, reachable where the operator is told it is. */
class OriginTest {
    private static final String ORIGIN = "tether-origin";

    @Test
    void runsTheContentServerInOriginRoleWithItsStoreAndToken() {
        StatefulSet origin = TetherChart.render().one(StatefulSet.class, ORIGIN);
        Container container = origin.getSpec().getTemplate().getSpec().getContainers().get(0);

        assertThat(origin.getSpec().getReplicas()).isEqualTo(1);
        assertThat(container.getImage()).isEqualTo(ChartDefaults.image("/contentServer/image"));
        assertThat(container.getArgs()).containsExactly(
                "origin",
                "--store", "/var/lib/tether/store",
                "--port", ChartDefaults.text("/origin/port"),
                "--token-file", "/etc/tether/origin-token/token");
        assertThat(mountPathOf(container, "store")).isEqualTo("/var/lib/tether/store");
    }

    @Test
    void volumeSizeAndDefaultStorageClassByDefault() {
        PersistentVolumeClaim claim = store(TetherChart.render().one(StatefulSet.class, ORIGIN));

        assertThat(claim.getSpec().getResources().getRequests().get("storage").toString())
                .isEqualTo(ChartDefaults.text("/origin/storage/size"));
        assertThat(claim.getSpec().getStorageClassName())
                .as("an empty storageClassName must be left out, so that the cluster's default class applies")
                .isNull();
        assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteOnce");
    }

    @Test
    void volumeSizeAndStorageClassFromValues() {
        PersistentVolumeClaim claim = store(TetherChart.render("""
                origin:
                  storage:
                    size: 2Ti
                    storageClassName: fast-nvme
                """).one(StatefulSet.class, ORIGIN));

        assertThat(claim.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("2Ti");
        assertThat(claim.getSpec().getStorageClassName()).isEqualTo("fast-nvme");
    }

    @Test
    void tokenComesFromTheSecretTheOperatorCreates() {
        RenderedChart chart = TetherChart.render();
        StatefulSet origin = chart.one(StatefulSet.class, ORIGIN);
        PodSpec pod = origin.getSpec().getTemplate().getSpec();
        Container container = pod.getContainers().get(0);
        Volume token = pod.getVolumes().stream().filter(v -> v.getSecret() != null).findFirst().orElseThrow();

        assertThat(token.getSecret().getSecretName()).isEqualTo(operatorEnv(chart, "TETHER_ORIGIN_TOKEN_SECRET"));
        assertThat(token.getSecret().getItems()).singleElement().satisfies(item -> {
            assertThat(item.getKey()).isEqualTo("token");
            String tokenFile = container.getArgs().get(container.getArgs().indexOf("--token-file") + 1);
            assertThat(mountPathOf(container, token.getName()) + "/" + item.getPath()).isEqualTo(tokenFile);
        });
        assertThat(container.getVolumeMounts()).filteredOn(m -> m.getName().equals(token.getName()))
                .singleElement().satisfies(m -> assertThat(m.getReadOnly()).isTrue());
    }

    @Test
    void theOperatorsOriginUrlNamesTheOriginService() {
        for (RenderedChart chart : List.of(TetherChart.render(), TetherChart.render("origin: {port: 9090}\nfullnameOverride: hpc\n"))) {
            URI url = URI.create(operatorEnv(chart, "TETHER_ORIGIN_URL"));
            String serviceName = url.getHost().split("\\.")[0];
            Service service = chart.one(Service.class, serviceName);
            StatefulSet origin = chart.all(StatefulSet.class).get(0);

            assertThat(url.getHost()).isEqualTo(serviceName + "." + TetherChart.NAMESPACE + ".svc");
            assertThat(service.getSpec().getPorts()).singleElement().satisfies(port -> {
                assertThat(port.getPort()).isEqualTo(url.getPort());
                assertThat(port.getTargetPort().getStrVal()).isEqualTo("http");
            });
            assertThat(origin.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts())
                    .anySatisfy(p -> {
                        assertThat(p.getName()).isEqualTo("http");
                        assertThat(p.getContainerPort()).isEqualTo(url.getPort());
                    });
            assertThat(origin.getSpec().getTemplate().getMetadata().getLabels())
                    .containsAllEntriesOf(service.getSpec().getSelector());
        }
    }

    @Test
    void governedByAHeadlessService() {
        RenderedChart chart = TetherChart.render();
        StatefulSet origin = chart.one(StatefulSet.class, ORIGIN);
        Service headless = chart.one(Service.class, origin.getSpec().getServiceName());

        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(origin.getSpec().getTemplate().getMetadata().getLabels())
                .containsAllEntriesOf(headless.getSpec().getSelector());
        assertThat(chart.one(Service.class, ORIGIN).getSpec().getClusterIP()).as("the client Service has a cluster IP").isNull();
    }

    @Test
    void probesSecurityAndResources() {
        StatefulSet origin = TetherChart.render("""
                origin:
                  resources:
                    requests: {cpu: "2", memory: 4Gi}
                  nodeSelector: {tether.dev/storage: "true"}
                """).one(StatefulSet.class, ORIGIN);
        PodSpec pod = origin.getSpec().getTemplate().getSpec();
        Container container = pod.getContainers().get(0);

        assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(container.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(pod.getSecurityContext().getFsGroup()).as("fsGroup makes the volume writable for the non-root user").isNotNull();
        assertThat(pod.getAutomountServiceAccountToken()).as("the origin does not talk to the API server").isFalse();
        assertThat(container.getResources().getRequests().get("memory").toString()).isEqualTo("4Gi");
        assertThat(pod.getNodeSelector()).containsEntry("tether.dev/storage", "true");
    }

    private static PersistentVolumeClaim store(StatefulSet origin) {
        return origin.getSpec().getVolumeClaimTemplates().stream()
                .filter(c -> c.getMetadata().getName().equals("store"))
                .findFirst()
                .orElseThrow();
    }

    private static String mountPathOf(Container container, String volume) {
        return container.getVolumeMounts().stream()
                .filter(m -> m.getName().equals(volume))
                .map(VolumeMount::getMountPath)
                .findFirst()
                .orElseThrow(() -> new AssertionError("volume " + volume + " is not mounted"));
    }

    private static String operatorEnv(RenderedChart chart, String name) {
        return chart.all(Deployment.class).get(0).getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getName().equals(name))
                .map(EnvVar::getValue)
                .findFirst()
                .orElseThrow(() -> new AssertionError("operator has no " + name));
    }
}
