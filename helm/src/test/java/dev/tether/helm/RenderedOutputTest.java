package dev.tether.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Properties every rendering must have, whatever the values: checked on the defaults and on a busy set of overrides. */
class RenderedOutputTest {
    private static final String BUSY_VALUES = """
            fullnameOverride: hpc
            watchNamespaces: [cluster-a]
            imagePullSecrets: [{name: regcred}]
            operator:
              metrics:
                service:
                  enabled: true
            origin:
              storage:
                storageClassName: fast-nvme
            """;

    @ParameterizedTest
    @ValueSource(strings = {"", BUSY_VALUES})
    void noSecretValuePassesThroughHelm(String values) {
        RenderedChart chart = TetherChart.render(values);

        assertThat(chart.all(Secret.class))
                .as("the operator creates every Secret itself; the chart (and so Helm's release record) holds none")
                .isEmpty();
        assertThat(chart.yaml()).doesNotContainPattern("(?m)^kind:\\s*Secret\\s*$");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", BUSY_VALUES})
    void everyObjectCarriesTheStandardLabels(String values) {
        assertThat(TetherChart.render(values).objects()).isNotEmpty().allSatisfy(object ->
                assertThat(object.getMetadata().getLabels())
                        .as("labels of %s/%s", object.getKind(), object.getMetadata().getName())
                        .containsKeys("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
                                "app.kubernetes.io/managed-by", "app.kubernetes.io/component", "helm.sh/chart")
                        .containsEntry("app.kubernetes.io/instance", TetherChart.RELEASE));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", BUSY_VALUES})
    void namespacedObjectsGoToTheReleaseNamespaceAndOnlyRbacAndCrdsLeaveIt(String values) {
        for (HasMetadata object : TetherChart.render(values).objects()) {
            boolean clusterScoped = object instanceof ClusterRole || object instanceof ClusterRoleBinding
                    || object instanceof io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
            String namespace = object.getMetadata().getNamespace();
            if (clusterScoped) {
                assertThat(namespace).as("%s is cluster-scoped", object.getKind()).isNull();
            } else if (!object.getKind().startsWith("Role")) {
                assertThat(namespace).as("namespace of %s/%s", object.getKind(), object.getMetadata().getName())
                        .isEqualTo(TetherChart.NAMESPACE);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", BUSY_VALUES})
    void everyContainerHasLimitsAndRunsUnprivileged(String values) {
        RenderedChart chart = TetherChart.render(values);
        Stream<PodTemplateSpec> pods = Stream.concat(
                chart.all(Deployment.class).stream().map(d -> d.getSpec().getTemplate()),
                chart.all(StatefulSet.class).stream().map(s -> s.getSpec().getTemplate()));
        List<Container> containers = pods.flatMap(p -> p.getSpec().getContainers().stream()).toList();

        assertThat(containers).hasSize(2).allSatisfy(c -> {
            assertThat(c.getResources().getLimits()).as("limits of %s", c.getName()).containsKey("memory");
            assertThat(c.getSecurityContext().getPrivileged()).as("%s privileged", c.getName()).isNotEqualTo(Boolean.TRUE);
            assertThat(c.getSecurityContext().getRunAsNonRoot()).as("%s runAsNonRoot", c.getName()).isTrue();
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"", BUSY_VALUES})
    void everyServiceSelectsPodsThatTheChartRuns(String values) {
        RenderedChart chart = TetherChart.render(values);
        List<PodTemplateSpec> pods = Stream.concat(
                chart.all(Deployment.class).stream().map(d -> d.getSpec().getTemplate()),
                chart.all(StatefulSet.class).stream().map(s -> s.getSpec().getTemplate())).toList();

        assertThat(chart.all(Service.class)).isNotEmpty().allSatisfy(service -> {
            assertThat(pods).as("pods selected by Service %s", service.getMetadata().getName())
                    .filteredOn(p -> p.getMetadata().getLabels().entrySet().containsAll(service.getSpec().getSelector().entrySet()))
                    .singleElement()
                    .satisfies(pod -> assertThat(service.getSpec().getPorts()).allSatisfy(port ->
                            assertThat(pod.getSpec().getContainers().get(0).getPorts())
                                    .as("named port %s of Service %s", port.getTargetPort(), service.getMetadata().getName())
                                    .anyMatch(p -> p.getName().equals(port.getTargetPort().getStrVal()))));
        });
    }
}
