package dev.tether.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The operator Deployment: what the operator reads from its environment and how it runs. */
class OperatorDeploymentTest {
    private static final String DEPLOYMENT = "tether-operator";

    @Test
    void oneReplicaRunningTheOperatorImageOfThisChartVersion() {
        Deployment deployment = TetherChart.render().one(Deployment.class, DEPLOYMENT);
        Container operator = operatorContainer(deployment);

        assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
        assertThat(deployment.getMetadata().getNamespace()).isEqualTo(TetherChart.NAMESPACE);
        assertThat(operator.getImage())
                .isEqualTo(ChartDefaults.text("/operator/image/repository") + ":" + ChartDefaults.appVersion());
        assertThat(operator.getImagePullPolicy()).isEqualTo(ChartDefaults.text("/operator/image/pullPolicy"));
    }

    @Test
    void oneOperatorAtATimeTheLeaderElectedOnALeaseAndThePodRecreatedOnUpgrade() {
        Deployment deployment = TetherChart.render().one(Deployment.class, DEPLOYMENT);
        Map<String, EnvVar> env = env(operatorContainer(deployment));

        // A new pod cannot become ready while the old one leads, so a rolling update would never finish.
        assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("Recreate");
        assertThat(valuesOf(env)).contains(
                entry("TETHER_LEADER_ELECTION_LEASE", "tether-operator"),
                entry("TETHER_LEADER_ELECTION_LEASE_SECONDS", ChartDefaults.text("/operator/leaderElection/leaseSeconds")),
                entry("TETHER_LEADER_ELECTION_RENEW_SECONDS", ChartDefaults.text("/operator/leaderElection/renewSeconds")),
                entry("TETHER_LEADER_ELECTION_RETRY_SECONDS", ChartDefaults.text("/operator/leaderElection/retrySeconds")));
        assertThat(env.get("TETHER_POD_NAME").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
    }

    @Test
    void theNodeApiTrustsPROXYHeadersFromTheConfiguredEdgeRangesOnly() {
        Map<String, String> defaults = valuesOf(env(operatorContainer(TetherChart.render().one(Deployment.class, DEPLOYMENT))));
        Map<String, String> narrowed = valuesOf(env(operatorContainer(TetherChart.render("""
                nodeApi:
                  trustedProxies: [10.20.0.0/16, fd00:10::/64]
                  requestTimeoutSeconds: 10
                """).one(Deployment.class, DEPLOYMENT))));

        assertThat(defaults.get("TETHER_NODE_API_TRUSTED_PROXIES")).contains("10.0.0.0/8");
        assertThat(narrowed).contains(entry("TETHER_NODE_API_TRUSTED_PROXIES", "10.20.0.0/16,fd00:10::/64"),
                entry("TETHER_NODE_API_REQUEST_TIMEOUT_SECONDS", "10"));
    }

    @Test
    void imageRepositoryTagAndPullPolicyAreOverridable() {
        Container operator = operatorContainer(TetherChart.render("""
                operator:
                  image:
                    repository: registry.example/hpc/tether-operator
                    tag: 0.2.0-rc.1
                    pullPolicy: Always
                """).one(Deployment.class, DEPLOYMENT));

        assertThat(operator.getImage()).isEqualTo("registry.example/hpc/tether-operator:0.2.0-rc.1");
        assertThat(operator.getImagePullPolicy()).isEqualTo("Always");
    }

    @Test
    void environmentTellsTheOperatorWhereEverythingIs() {
        Map<String, EnvVar> env = env(operatorContainer(TetherChart.render().one(Deployment.class, DEPLOYMENT)));

        assertThat(valuesOf(env)).contains(
                entry("TETHER_BUILDER_IMAGE", ChartDefaults.image("/builder/image")),
                entry("TETHER_BUILDER_PRIVILEGED", "true"),
                entry("TETHER_CONTENT_SERVER_IMAGE", ChartDefaults.image("/contentServer/image")),
                entry("TETHER_ORIGIN_URL", "http://tether-origin.tether-system.svc:" + ChartDefaults.text("/origin/port")),
                entry("TETHER_ORIGIN_TOKEN_SECRET", "tether-origin-token"),
                entry("TETHER_NODE_API_SERVICE", "tether-node-api.tether-system.svc:8443"),
                entry("TETHER_WATCH_NAMESPACES", ""));
        assertThat(env.get("TETHER_OPERATOR_NAMESPACE").getValueFrom().getFieldRef().getFieldPath())
                .isEqualTo("metadata.namespace");
    }

    @Test
    void defaultResourcesOfBuildersAndEdgesAreHandedOverAsJson() throws Exception {
        Map<String, String> env = valuesOf(env(operatorContainer(TetherChart.render("""
                builder:
                  resources:
                    requests: {cpu: "4", memory: 6Gi}
                    limits: {memory: 16Gi}
                """).one(Deployment.class, DEPLOYMENT))));

        ObjectMapper json = new ObjectMapper();
        ResourceRequirements builder = json.readValue(env.get("TETHER_BUILDER_RESOURCES"), ResourceRequirements.class);
        assertThat(builder.getRequests().get("cpu").toString()).isEqualTo("4");
        assertThat(builder.getLimits().get("memory").toString()).isEqualTo("16Gi");
        ResourceRequirements edge = json.readValue(env.get("TETHER_EDGE_RESOURCES"), ResourceRequirements.class);
        assertThat(edge.getRequests().get("memory").toString()).isEqualTo(ChartDefaults.text("/edge/resources/requests/memory"));
    }

    @Test
    void theSshPrincipalPolicyIsSafeByDefaultAndHandedOverAsJson() throws Exception {
        Map<String, String> defaults = valuesOf(env(operatorContainer(TetherChart.render().one(Deployment.class, DEPLOYMENT))));
        assertThat(defaults).contains(entry("TETHER_SSH_PRINCIPAL_DOMAIN", "tether.internal"),
                entry("TETHER_SSH_PRINCIPAL_NAMESPACES", "{}"));

        Map<String, String> env = valuesOf(env(operatorContainer(TetherChart.render("""
                nodeApi:
                  sshPrincipals:
                    domain: nodes.example.org
                    namespaces:
                      hpc: {domains: [cluster.example.org], cidrs: [10.1.0.0/16]}
                """).one(Deployment.class, DEPLOYMENT))));

        assertThat(env).containsEntry("TETHER_SSH_PRINCIPAL_DOMAIN", "nodes.example.org");
        assertThat(new ObjectMapper().readTree(env.get("TETHER_SSH_PRINCIPAL_NAMESPACES")))
                .isEqualTo(new ObjectMapper().readTree("{\"hpc\":{\"domains\":[\"cluster.example.org\"],\"cidrs\":[\"10.1.0.0/16\"]}}"));
    }

    @Test
    void namesAndImagesFollowValuesAndTheReleaseName() {
        Map<String, String> env = valuesOf(env(operatorContainer(TetherChart.render("""
                fullnameOverride: hpc
                watchNamespaces: [cluster-a, cluster-b]
                origin:
                  port: 9000
                builder:
                  privileged: false
                  image:
                    repository: registry.example/imgutil
                    tag: nightly
                contentServer:
                  image:
                    repository: registry.example/content-server
                """).one(Deployment.class, "hpc-operator"))));

        assertThat(env).contains(
                entry("TETHER_BUILDER_IMAGE", "registry.example/imgutil:nightly"),
                entry("TETHER_BUILDER_PRIVILEGED", "false"),
                entry("TETHER_CONTENT_SERVER_IMAGE", "registry.example/content-server:" + ChartDefaults.appVersion()),
                entry("TETHER_ORIGIN_URL", "http://hpc-origin.tether-system.svc:9000"),
                entry("TETHER_ORIGIN_TOKEN_SECRET", "hpc-origin-token"),
                entry("TETHER_NODE_API_SERVICE", "hpc-node-api.tether-system.svc:8443"),
                entry("TETHER_WATCH_NAMESPACES", "cluster-a,cluster-b"));
    }

    @Test
    void portsAndProbes() {
        Container operator = operatorContainer(TetherChart.render().one(Deployment.class, DEPLOYMENT));

        assertThat(operator.getPorts().stream().collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort)))
                .containsOnly(entry("node-api", 8443), entry("health", 8081), entry("metrics", 8082));
        assertThat(operator.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(operator.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("health");
        assertThat(operator.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(operator.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("health");
    }

    @Test
    void runsAsNonRootOnAReadOnlyRootWithoutCapabilities() {
        Deployment deployment = TetherChart.render().one(Deployment.class, DEPLOYMENT);
        Container operator = operatorContainer(deployment);

        assertThat(deployment.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(operator.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(operator.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(operator.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(operator.getSecurityContext().getPrivileged()).isNotEqualTo(Boolean.TRUE);
        assertThat(operator.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(operator.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(operator.getVolumeMounts()).as("a writable /tmp on the read-only root")
                .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
    }

    @Test
    void resourcesAndPlacementComeFromValues() {
        Deployment deployment = TetherChart.render("""
                operator:
                  resources:
                    requests: {cpu: 300m, memory: 1Gi}
                    limits: {memory: 2Gi}
                  nodeSelector:
                    node-role.kubernetes.io/control-plane: ""
                  tolerations:
                    - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}
                  podAnnotations:
                    prometheus.io/scrape: "true"
                """).one(Deployment.class, DEPLOYMENT);
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        ResourceRequirements resources = pod.getContainers().get(0).getResources();

        assertThat(resources.getRequests().get("cpu").toString()).isEqualTo("300m");
        assertThat(resources.getLimits().get("memory").toString()).isEqualTo("2Gi");
        assertThat(pod.getNodeSelector()).containsOnlyKeys("node-role.kubernetes.io/control-plane");
        assertThat(pod.getTolerations()).singleElement()
                .satisfies(t -> assertThat(t.getEffect()).isEqualTo("NoSchedule"));
        assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry("prometheus.io/scrape", "true");
    }

    @Test
    void defaultResourcesAreSetSoTheSchedulerCanPlaceTheOperator() {
        ResourceRequirements resources = operatorContainer(TetherChart.render().one(Deployment.class, DEPLOYMENT)).getResources();

        assertThat(resources.getRequests().get("memory").toString()).isEqualTo(ChartDefaults.text("/operator/resources/requests/memory"));
        assertThat(resources.getLimits()).containsKey("memory");
    }

    @Test
    void imagePullSecretsReachTheOperatorPodAndThePodsItCreates() {
        Deployment deployment = TetherChart.render("""
                imagePullSecrets:
                  - name: regcred
                  - name: mirror
                """).one(Deployment.class, DEPLOYMENT);

        assertThat(deployment.getSpec().getTemplate().getSpec().getImagePullSecrets())
                .extracting(LocalObjectReference::getName).containsExactly("regcred", "mirror");
        assertThat(valuesOf(env(operatorContainer(deployment)))).containsEntry("TETHER_IMAGE_PULL_SECRETS", "regcred,mirror");
    }

    @Test
    void runsAsItsOwnServiceAccountOrAGivenOne() {
        RenderedChart defaults = TetherChart.render();
        assertThat(defaults.one(Deployment.class, DEPLOYMENT).getSpec().getTemplate().getSpec().getServiceAccountName())
                .isEqualTo(defaults.all(ServiceAccount.class).get(0).getMetadata().getName());

        RenderedChart own = TetherChart.render("""
                serviceAccount:
                  create: false
                  name: platform-tether
                """);
        assertThat(own.all(ServiceAccount.class)).isEmpty();
        assertThat(own.one(Deployment.class, DEPLOYMENT).getSpec().getTemplate().getSpec().getServiceAccountName())
                .isEqualTo("platform-tether");
    }

    @Test
    void nodeApiServiceForwardsToTheOperatorsNodeApiPort() {
        RenderedChart chart = TetherChart.render();
        Service nodeApi = chart.one(Service.class, "tether-node-api");
        Deployment deployment = chart.one(Deployment.class, DEPLOYMENT);

        assertThat(nodeApi.getSpec().getPorts()).singleElement().satisfies(port -> {
            assertThat(port.getPort()).isEqualTo(8443);
            assertThat(port.getTargetPort().getStrVal()).isEqualTo("node-api");
        });
        assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
                .containsAllEntriesOf(nodeApi.getSpec().getSelector());
        assertThat(nodeApi.getSpec().getSelector()).containsEntry("app.kubernetes.io/component", "operator");
    }

    @Test
    void theNodeApiPortCaSecretsAndLimitsComeFromValuesAndTheEdgesForwardToTheSamePort() {
        RenderedChart defaults = TetherChart.render();
        assertThat(valuesOf(env(operatorContainer(defaults.one(Deployment.class, DEPLOYMENT))))).contains(
                entry("TETHER_NODE_API_PORT", "8443"),
                entry("TETHER_NODE_API_CA_SECRET", "tether-node-api-ca"),
                entry("TETHER_SSH_CA_SECRET", "tether-ssh-ca"),
                entry("TETHER_SSH_CA_SECRET_KEY", "ssh-ca"),
                entry("TETHER_NODE_API_FAILURES_PER_NODE", "10"),
                entry("TETHER_NODE_API_FAILURES_PER_SOURCE", "100"),
                entry("TETHER_NODE_API_FAILURE_WINDOW_SECONDS", "600"));

        RenderedChart chart = TetherChart.render("""
                nodeApi:
                  port: 9443
                  caSecretName: site-node-api-ca
                  sshCa: {secretName: site-ssh-ca, secretKey: id_ed25519}
                  dnsNames: [tether-api.cluster.example]
                  failureLimits: {perNode: 5, perSource: 50, windowSeconds: 60}
                """);
        Container operator = operatorContainer(chart.one(Deployment.class, DEPLOYMENT));
        Map<String, String> env = valuesOf(env(operator));
        assertThat(env).contains(
                entry("TETHER_NODE_API_PORT", "9443"),
                entry("TETHER_NODE_API_SERVICE", "tether-node-api.tether-system.svc:9443"),
                entry("TETHER_NODE_API_CA_SECRET", "site-node-api-ca"),
                entry("TETHER_SSH_CA_SECRET", "site-ssh-ca"),
                entry("TETHER_SSH_CA_SECRET_KEY", "id_ed25519"),
                entry("TETHER_NODE_API_DNS_NAMES", "tether-api.cluster.example"),
                entry("TETHER_NODE_API_FAILURES_PER_NODE", "5"),
                entry("TETHER_NODE_API_FAILURE_WINDOW_SECONDS", "60"));
        assertThat(operator.getPorts()).filteredOn(p -> p.getName().equals("node-api"))
                .singleElement().satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(9443));
        assertThat(chart.one(Service.class, "tether-node-api").getSpec().getPorts()).singleElement()
                .satisfies(p -> assertThat(p.getPort()).isEqualTo(9443));
    }

    @Test
    void metricsServiceOnlyWhenAsked() {
        assertThat(TetherChart.render().all(Service.class))
                .noneMatch(s -> s.getMetadata().getName().endsWith("-metrics"));

        Service metrics = TetherChart.render("""
                operator:
                  metrics:
                    service:
                      enabled: true
                """).one(Service.class, "tether-operator-metrics");
        assertThat(metrics.getSpec().getPorts()).singleElement()
                .satisfies(port -> assertThat(port.getTargetPort().getStrVal()).isEqualTo("metrics"));
    }

    @Test
    void theNodesArchivesLiveOnAClaimTheReleaseKeepsAndAnEmptyDirOnlyWhenAskedFor() {
        RenderedChart chart = TetherChart.render();
        Deployment deployment = chart.one(Deployment.class, DEPLOYMENT);
        var claim = chart.one(io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class, "tether-persistence");
        Map<String, String> env = valuesOf(env(operatorContainer(deployment)));

        assertThat(claim.getMetadata().getAnnotations()).containsEntry("helm.sh/resource-policy", "keep");
        assertThat(claim.getSpec().getResources().getRequests().get("storage").toString())
                .isEqualTo(ChartDefaults.text("/nodeApi/persistence/size"));
        assertThat(deployment.getSpec().getTemplate().getSpec().getVolumes()).anySatisfy(volume -> {
            assertThat(volume.getName()).isEqualTo("persistence");
            assertThat(volume.getPersistentVolumeClaim().getClaimName()).isEqualTo("tether-persistence");
        });
        assertThat(operatorContainer(deployment).getVolumeMounts()).anySatisfy(mount ->
                assertThat(mount.getMountPath()).isEqualTo(env.get("TETHER_PERSISTENCE_DIR")));
        assertThat(env).containsEntry("TETHER_PERSISTENCE_MAX_BYTES", ChartDefaults.text("/nodeApi/persistence/maxBytes"))
                .containsEntry("TETHER_PERSISTENCE_MAX_UPLOADS", ChartDefaults.text("/nodeApi/persistence/maxUploads"));

        RenderedChart trial = TetherChart.render("""
                nodeApi:
                  persistence: {enabled: false}
                """);
        assertThat(trial.all(io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class)).isEmpty();
        assertThat(trial.one(Deployment.class, DEPLOYMENT).getSpec().getTemplate().getSpec().getVolumes())
                .filteredOn(volume -> volume.getName().equals("persistence"))
                .singleElement().satisfies(volume -> assertThat(volume.getEmptyDir()).isNotNull());
    }

    private static Container operatorContainer(Deployment deployment) {
        return deployment.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> c.getName().equals("operator"))
                .findFirst()
                .orElseThrow();
    }

    private static Map<String, EnvVar> env(Container container) {
        return container.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    }

    private static Map<String, String> valuesOf(Map<String, EnvVar> env) {
        return env.values().stream()
                .filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    }
}
