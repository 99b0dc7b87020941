package dev.tether.e2e.storm;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageSpec;
import dev.tether.api.v1alpha1.DisklessImageStatus;
import dev.tether.api.v1alpha1.Distribution;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.operator.BuilderJobs;
import dev.tether.operator.Names;
import dev.tether.operator.OperatorHarness;
import dev.tether.operator.image.BuildResult;
import dev.tether.operator.image.ImageKeySecret;
import dev.tether.dev.EdgeBootFiles;
import dev.tether.dev.TetherCluster;
import dev.tether.operator.profile.BootConfigMap;
import dev.tether.operator.profile.EdgeDaemonSet;
import dev.tether.operator.trust.Ipv4Range;
import dev.tether.operator.trust.PrincipalPolicy;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The cluster side of the storm, in one JVM: the Fabric8 mock API server in CRUD mode (the in-memory Kubernetes API)
 * with the operator and its node API, as the operator's own tests run them, holding one published image, one profile
 * whose edges are the storm's, and {@code nodes} NodeCredentials. What the mock server does not do it plays, as
 * {@code TetherCluster} does for the VM suite: the builder Job ends with the build's result, the edge pods are Ready on
 * their addresses, and the profile's boot ConfigMap is copied into each edge's boot directory (a mounted ConfigMap).
 * It also keeps a count of the requests the API server answered for everyone but itself in {@link #apiRequestsFile}.
 */
public final class StormCluster implements AutoCloseable {
    public static final String NAMESPACE = OperatorHarness.NAMESPACE;
    public static final String IMAGE = "storm";
    public static final String PROFILE = "compute";
    public static final String BOOT_JSON = BootConfigMap.BOOT_JSON;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration PATIENCE = Duration.ofMinutes(5);

    /** Where the cluster keeps the count of requests its API server has answered, for the benchmark to read. */
    public static Path apiRequestsFile(Path caPemFile) {
        return caPemFile.resolveSibling("apiserver-requests");
    }

    /** Where the cluster keeps the node API's server-side figures ({@link NodeApiStats}), for the benchmark to read. */
    public static Path nodeApiStatsFile(Path caPemFile) {
        return caPemFile.resolveSibling("node-api-stats.json");
    }

    /** What the benchmark tells the cluster: where the origin and edges are, what was published, how many nodes. */
    public record Config(String originUrl, String originToken, int nodes, List<String> edgeAddresses, int edgePort,
            int apiPort, List<String> edgeBootDirs, int nodeApiPort, String caPemFile, String imageDigest,
            String kernelDigest, String initramfsDigest, String rootImageDigest, long rootImageBytes, long squashfsBytes,
            String imageKeyHex) {
        public void write(Path file) throws IOException {
            Files.write(file, JSON.writeValueAsBytes(this));
        }

        public static Config read(Path file) throws IOException {
            return JSON.readValue(file.toFile(), Config.class);
        }
    }

    private final OperatorHarness harness;
    private final KubernetesClient client;
    private final Config config;
    private final Thread kubelet;
    private volatile boolean closed;
    private volatile String syncedVersion;
    private long ownReads;
    /** The API server's requests by kind, this cluster's own reads of the boot ConfigMap left out. */
    private final Map<String, Long> requestsByKind = new java.util.TreeMap<>();

    private StormCluster(OperatorHarness harness, Config config) {
        this.harness = harness;
        this.client = harness.client;
        this.config = config;
        this.kubelet = Thread.ofPlatform().daemon().name("kubelet-configmap-sync").unstarted(this::syncBootFiles);
    }

    /** Node {@code index}'s credential and node name. */
    public static String nodeName(int index) {
        return String.format("node-%04d", index);
    }

    /** Node {@code index}'s MAC: a locally administered prefix and the index. */
    public static String mac(int index) {
        return String.format("52:54:10:%02x:%02x:%02x", (index >> 16) & 0xff, (index >> 8) & 0xff, index & 0xff);
    }

    public static StormCluster start(Config config) throws Exception {
        // The node's names and addresses are the namespace's to use, as an administrator grants them.
        var grant = new PrincipalPolicy.Grant(List.of("cluster.example"), List.of(Ipv4Range.parse("10.1.0.0/16")));
        var harness = new OperatorHarness(config.originUrl(), config.originToken(), c -> c.withNodeApi(c.nodeApi()
                .withSshPrincipals(new PrincipalPolicy("tether.internal", Map.of(NAMESPACE, grant)))));
        var cluster = new StormCluster(harness, config);
        try {
            harness.operator().startNodeApi(new InetSocketAddress("127.0.0.1", config.nodeApiPort()));
            Files.writeString(Path.of(config.caPemFile()), harness.operator().trust().clusterCa().certificatePem());
            cluster.publishImage();
            cluster.applyProfile();
            cluster.kubelet.start();
            cluster.createCredentials();
            cluster.awaitEdgesKnowAllNodes();
            System.out.println("READY {\"nodes\":" + config.nodes() + "}");
            return cluster;
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
    }

    private void publishImage() throws Exception {
        // The build's key in place before the image exists: the operator keeps a key Secret it finds.
        byte[] key = HexFormat.of().parseHex(config.imageKeyHex());
        client.resource(new SecretBuilder().withNewMetadata().withName(Names.imageKeySecret(IMAGE, 1)).withNamespace(NAMESPACE)
                .addToLabels(Names.managedLabels("image-key")).endMetadata().withType("Opaque")
                .addToData(ImageKeySecret.KEY, Base64.getEncoder().encodeToString(key)).build()).create();
        var image = new DisklessImage();
        image.getMetadata().setName(IMAGE);
        image.getMetadata().setNamespace(NAMESPACE);
        image.setSpec(new DisklessImageSpec());
        image.getSpec().distribution = Distribution.DEBIAN;
        image.getSpec().release = "bookworm";
        client.resource(image).create();
        String job = Names.buildJob(IMAGE, 1);
        eventually("the builder Job", () -> client.batch().v1().jobs().inNamespace(NAMESPACE).withName(job).get());
        var result = new BuildResult(config.imageDigest(), "6.1.0-57-amd64", config.rootImageBytes(), config.squashfsBytes(),
                config.kernelDigest(), config.initramfsDigest(), config.rootImageDigest(), true,
                dev.tether.image.format.ImageKey.of(key).keyIdHex(), 1L, null);
        BuilderJobs.succeed(harness, NAMESPACE, job, JSON.writeValueAsString(result));
        eventually("the image published", () -> {
            DisklessImage current = client.resources(DisklessImage.class).inNamespace(NAMESPACE).withName(IMAGE).get();
            return current.getStatus() != null && current.getStatus().phase == DisklessImageStatus.Phase.PUBLISHED ? current : null;
        });
    }

    private void applyProfile() {
        var profile = new NodeProfile();
        profile.getMetadata().setName(PROFILE);
        profile.getMetadata().setNamespace(NAMESPACE);
        var spec = new NodeProfileSpec();
        spec.image = new NodeProfileSpec.ImageRef(IMAGE, null);
        spec.imageMethod = NodeProfileSpec.ImageMethod.TETHERED;
        spec.kernelArgs = new ArrayList<>(List.of("console=ttyS0"));
        spec.ssh = new NodeProfileSpec.Ssh();
        spec.edges = new NodeProfileSpec.Edges();
        spec.edges.port = config.edgePort();
        spec.edges.apiPort = config.apiPort();
        profile.setSpec(spec);
        client.resource(profile).create();
        for (int i = 0; i < config.edgeAddresses().size(); i++) {
            String address = config.edgeAddresses().get(i);
            client.pods().inNamespace(NAMESPACE).resource(new PodBuilder()
                    .withNewMetadata().withName(Names.edgeDaemonSet(PROFILE) + "-" + i).withNamespace(NAMESPACE)
                    .addToLabels(Map.of(Names.PROFILE_LABEL, PROFILE, Names.COMPONENT, EdgeDaemonSet.COMPONENT)).endMetadata()
                    .withNewSpec().withNodeName("edge-host-" + i).addNewContainer().withName("edge").withImage("edge").endContainer().endSpec()
                    .withNewStatus().withPhase("Running").withHostIP(address).withPodIP(address)
                    .withConditions(new PodConditionBuilder().withType("Ready").withStatus("True").build())
                    .endStatus().build()).create();
        }
    }

    /** All credentials armed once: the benchmark fetches the keys of those that boot with a key already sealed. */
    private void createCredentials() throws Exception {
        try (ExecutorService creators = Executors.newFixedThreadPool(4)) {
            List<Future<?>> created = new ArrayList<>();
            for (int i = 0; i < config.nodes(); i++) {
                int index = i;
                created.add(creators.submit(() -> client.resource(credential(index)).create()));
            }
            for (Future<?> f : created) {
                f.get();
            }
        }
        eventually("every credential armed", () -> client.resources(NodeCredential.class).inNamespace(NAMESPACE).list().getItems()
                .stream().filter(c -> c.getStatus() != null && Boolean.TRUE.equals(c.getStatus().armed)).count() == config.nodes()
                ? Boolean.TRUE : null);
    }

    private static NodeCredential credential(int index) {
        var credential = new NodeCredential();
        String name = nodeName(index);
        credential.getMetadata().setName(name);
        credential.getMetadata().setNamespace(NAMESPACE);
        var spec = new NodeCredentialSpec();
        spec.nodeName = name;
        spec.profile = PROFILE;
        spec.arming = NodeCredentialSpec.Arming.ONCE;
        spec.fqdn = name + ".cluster.example";
        spec.addresses = new ArrayList<>(List.of("10.1." + (index / 250) + "." + (index % 250 + 1)));
        spec.hardware = new NodeCredentialSpec.Hardware();
        spec.hardware.macs = new ArrayList<>(List.of(mac(index)));
        credential.setSpec(spec);
        return credential;
    }

    /**
     * Until the boot files the edges will load list every node, so no node's iPXE script is "unknown MAC". The edges start
     * after this cluster is ready, and the benchmark waits for each to answer with a kernel (they write boot.json last and
     * whole, so an edge that has loaded it knows every node): nothing to wait for here beyond the files.
     */
    private void awaitEdgesKnowAllNodes() throws Exception {
        eventually("the edges' boot files listing all " + config.nodes() + " nodes", () -> {
            for (String dir : config.edgeBootDirs()) {
                Path file = Path.of(dir, BOOT_JSON);
                if (!Files.exists(file) || JSON.readTree(file.toFile()).path("nodes").size() != config.nodes()) {
                    return null;
                }
            }
            return Boolean.TRUE;
        });
    }

    /** Kubelet's part for the mounted boot ConfigMap: each new version into every edge's boot directory. */
    private void syncBootFiles() {
        while (!closed) {
            try {
                // The operator's requests only: this loop's own reads (one per turn) are not theirs.
                EdgeBootFiles.replace(apiRequestsFile(Path.of(config.caPemFile())),
                        Long.toString(harness.server.getRequestCount() - ownReads).getBytes(StandardCharsets.US_ASCII));
                for (RecordedRequest r; (r = harness.server.takeRequest(0, TimeUnit.MILLISECONDS)) != null; ) {
                    requestsByKind.merge(NodeApiStats.requestKind(r.getMethod(), r.getPath()), 1L, Long::sum);
                }
                var requests = new java.util.TreeMap<>(requestsByKind);
                requests.computeIfPresent("GET configmaps", (k, n) -> n - ownReads > 0 ? n - ownReads : null);
                NodeApiStats.capture(harness.operator().metrics(), requests).write(nodeApiStatsFile(Path.of(config.caPemFile())));
                ownReads++;
                ConfigMap boot = client.configMaps().inNamespace(NAMESPACE).withName(Names.bootConfigMap(PROFILE)).get();
                if (boot != null && boot.getData() != null && boot.getData().containsKey(BOOT_JSON)
                        && !boot.getMetadata().getResourceVersion().equals(syncedVersion)) {
                    for (String dir : config.edgeBootDirs()) {
                        EdgeBootFiles.write(Path.of(dir), boot);
                    }
                    syncedVersion = boot.getMetadata().getResourceVersion();
                }
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    // The client's exception can come with no message (VmBootTest's runs printed five to seven
                    // such a run): its cause says why.
                    System.err.println("[StormCluster] copying the boot ConfigMap to the edges failed: " + e
                            + (e.getCause() == null ? "" : ", caused by " + e.getCause()));
                }
            }
        }
    }

    private static <T> T eventually(String what, Callable<T> probe) throws Exception {
        return TetherCluster.eventually(what, PATIENCE, probe);
    }

    @Override
    public void close() {
        closed = true;
        kubelet.interrupt();
        harness.close();
    }
}
