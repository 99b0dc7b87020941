package dev.tether.dev;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageStatus;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.contracts.EdgeBootConfig;
import dev.tether.content.boot.LoadedBootConfig;
import dev.tether.content.edge.EdgeServer;
import dev.tether.content.edge.FillSettings;
import dev.tether.content.http.HttpSettings;
import dev.tether.content.origin.OriginServer;
import dev.tether.image.format.FileChunkSource;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.RootImageReader;
import dev.tether.local.JobController;
import dev.tether.operator.Names;
import dev.tether.operator.image.BuildResult;
import dev.tether.operator.nodeapi.NodeApiServer;
import dev.tether.operator.profile.BootConfigMap;
import dev.tether.operator.profile.EdgeDaemonSet;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Tether installation on one machine, with the parts a cluster would run played locally: the Kubernetes
 * API is the Fabric8 mock server in CRUD mode; the operator runs in this JVM against it with its node API on
 * loopback; an origin holds the built image; each edge (the content-server's edge role, in this JVM) stands
 * for one edge pod on its own node, at its own address ({@link EdgeAddresses}) with the profile's ports, so
 * the operator's boot files name them exactly as they would name a DaemonSet's pods.
 *
 * <p>What the mock API server does not do, this class does, as kubelet and the Job controller would: it
 * finishes the builder Job with the builder's own result, reports the edge pods Ready on their nodes, and
 * copies the boot ConfigMap into each edge's boot directory whenever the operator changes it (as a mounted
 * ConfigMap volume is updated).
 */
public final class TetherCluster implements AutoCloseable {
    public static final String OPERATOR_NAMESPACE = LocalOperator.OPERATOR_NAMESPACE;
    private static final Pattern SENT = Pattern.compile("(?m)^tether_http_sent_bytes_total(?:\\{[^}]*})? ([0-9.Ee+]+)$");
    private static final Pattern REQUESTS = Pattern.compile("(?m)^tether_http_requests_total(?:\\{[^}]*})? ([0-9.Ee+]+)$");
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LocalOperator operator;
    private final KubernetesClient client;
    private final OriginServer origin;
    private final EdgeAddresses addresses;
    private final List<EdgeNode> edges = new ArrayList<>();
    private final Path workDir;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Thread bootFilesSync;
    private volatile String syncedProfile;
    private volatile boolean closed;

    /** One edge pod: its node's address, its directories, and the server while it runs. */
    private static final class EdgeNode {
        final int index;
        final String address;
        final EdgeServer.Config config;
        volatile EdgeServer server;
        volatile String bootFilesVersion;
        volatile long lastBytesSent;

        EdgeNode(int index, String address, EdgeServer.Config config) {
            this.index = index;
            this.address = address;
            this.config = config;
        }
    }

    private TetherCluster(LocalOperator operator, OriginServer origin, EdgeAddresses addresses, Path workDir) {
        this.operator = operator;
        this.client = operator.client();
        this.origin = origin;
        this.addresses = addresses;
        this.workDir = workDir;
        this.bootFilesSync = Thread.ofPlatform().daemon().name("kubelet-configmap-sync").unstarted(this::syncBootFiles);
    }

    /**
     * Starts the API server, the operator with its node API, the origin on the cached image's store and
     * {@code edgeCount} edges listening on {@code edgePort} and {@code apiPort} of their own addresses.
     */
    public static TetherCluster start(ImageCache.CachedImage image, int edgeCount, int edgePort, int apiPort, Path workDir)
            throws IOException, InterruptedException {
        OriginServer origin = image.startOrigin();
        String originUrl = "http://127.0.0.1:" + origin.port();
        EdgeAddresses addresses = null;
        LocalOperator operator = null;
        try {
            operator = LocalOperator.start(repositoryRoot(), originUrl, ImageCache.TOKEN,
                    Files.createDirectories(workDir.resolve("persistence")));
            NodeApiServer nodeApi = operator.startNodeApi();
            addresses = EdgeAddresses.add(edgeCount);
            var cluster = new TetherCluster(operator, origin, addresses, workDir);
            for (int i = 0; i < edgeCount; i++) {
                String address = addresses.get(i);
                Path dir = workDir.resolve("edge-" + i);
                Files.createDirectories(dir.resolve("boot"));
                List<String> peers = new ArrayList<>();
                for (int j = 0; j < i; j++) {
                    peers.add("http://" + addresses.get(j) + ":" + edgePort);
                }
                var config = new EdgeServer.Config(dir.resolve("cache"), 8L << 30, originUrl, peers,
                        new InetSocketAddress(address, edgePort), new InetSocketAddress(address, apiPort),
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), nodeApi.address().getPort()),
                        dir.resolve("boot").resolve(BootConfigMap.BOOT_JSON), Duration.ofSeconds(1), null,
                        HttpSettings.defaults(), FillSettings.defaults(), Duration.ofMinutes(10), 2);
                var edge = new EdgeNode(i, address, config);
                edge.server = EdgeServer.start(config);
                cluster.edges.add(edge);
            }
            cluster.bootFilesSync.start();
            return cluster;
        } catch (IOException | RuntimeException e) {
            if (operator != null) {
                operator.close();
            }
            if (addresses != null) {
                addresses.close();
            }
            origin.close();
            throw e;
        }
    }

    /** The operator's persistence volume: the nodes' encrypted archives of their kept paths. */
    public Path persistenceDir() {
        return operator.persistenceDir;
    }

    public KubernetesClient client() {
        return client;
    }

    public OriginServer origin() {
        return origin;
    }

    /**
     * Publishes the cached build through the operator: the image's key Secret holds the build's key (the
     * operator keeps a key Secret it finds), the DisklessImage is created, and the builder Job the operator
     * makes, whose command must be the one the cached build ran, is finished with the build's own result.
     */
    public DisklessImage publish(ImageCache.CachedImage image, BuildResult result) throws Exception {
        DisklessImage resource = image.image();
        String ns = resource.getMetadata().getNamespace();
        String name = resource.getMetadata().getName();
        client.resource(new SecretBuilder().withNewMetadata().withName(Names.imageKeySecret(name, 1)).withNamespace(ns)
                .addToLabels(Names.managedLabels("image-key")).endMetadata()
                .withType("Opaque").addToData(dev.tether.operator.image.ImageKeySecret.KEY, base64(image.imageKey())).build()).create();
        client.resource(resource).create();
        String jobName = Names.buildJob(name, 1);
        Job job = eventually("the operator's builder Job " + jobName, () -> client.batch().v1().jobs().inNamespace(ns).withName(jobName).get());
        List<String> command = job.getSpec().getTemplate().getSpec().getContainers().getFirst().getCommand();
        List<String> expected = ImageCache.builderCommand(resource, "http://127.0.0.1:" + origin.port());
        if (!command.equals(expected)) {
            throw new AssertionError("the operator's builder command is not the one the cached build ran:\n  operator: "
                    + command + "\n  build:    " + expected);
        }
        // What kubelet and the Job controller would do: the builder pod ends with its result, the Job completes.
        new JobController(client, PATIENCE).succeed(ns, jobName, JSON.writeValueAsString(result));
        return eventually("the image published", () -> {
            DisklessImage current = client.resources(DisklessImage.class).inNamespace(ns).withName(name).get();
            return current.getStatus() != null && current.getStatus().phase == DisklessImageStatus.Phase.PUBLISHED ? current : null;
        });
    }

    /**
     * Applies the profile with this cluster's edge ports, reports its edge pods Ready on their nodes, and
     * waits until every edge has the boot files the operator wrote for it.
     */
    public NodeProfile apply(NodeProfile profile) throws Exception {
        String ns = profile.getMetadata().getNamespace();
        String name = profile.getMetadata().getName();
        var edgeSettings = profile.getSpec().edges == null ? new NodeProfileSpec.Edges() : profile.getSpec().edges;
        edgeSettings.port = edges.getFirst().config.bind().getPort();
        edgeSettings.apiPort = edges.getFirst().config.apiBind().getPort();
        profile.getSpec().edges = edgeSettings;
        String before = bootFilesVersion(ns, name);
        profile.getMetadata().setResourceVersion(null);  // a replace: the operator may have written its status since
        NodeProfile applied = client.resource(profile).createOr(NonDeletingOperation::update);
        for (EdgeNode edge : edges) {
            String podName = Names.edgeDaemonSet(name) + "-" + edge.index;
            if (client.pods().inNamespace(ns).withName(podName).get() == null) {
                client.pods().inNamespace(ns).resource(new PodBuilder()
                        .withNewMetadata().withName(podName).withNamespace(ns).addToLabels(Map.of(Names.PROFILE_LABEL, name, Names.COMPONENT, EdgeDaemonSet.COMPONENT)).endMetadata()
                        .withNewSpec().withNodeName("node-" + edge.index).addNewContainer().withName("edge").withImage("edge").endContainer().endSpec()
                        .withNewStatus().withPhase("Running").withHostIP(edge.address).withPodIP(edge.address)
                        .withConditions(new PodConditionBuilder().withType("Ready").withStatus("True").build())
                        .endStatus().build()).create();
            }
        }
        syncedProfile = name;
        awaitBootFiles(ns, name, before);
        return applied;
    }

    /** Finishes builder Job {@code jobName} with {@code result}, as kubelet and the Job controller would. */
    public void finishBuilderJob(String namespace, String jobName, BuildResult result) throws Exception {
        new JobController(client, PATIENCE).succeed(namespace, jobName, JSON.writeValueAsString(result));
    }

    /** The profile's boot ConfigMap version now, for {@link #awaitBootFilesAfter}. */
    public String bootFilesVersionOf(String profile) {
        return bootFilesVersion(ImageCache.NAMESPACE, profile);
    }

    /** Waits until the edges serve the profile's boot files in a version newer than {@code before}. */
    public void awaitBootFilesAfter(String profile, String before) throws Exception {
        awaitBootFiles(ImageCache.NAMESPACE, profile, before);
    }

    /** Applies the credential and waits until the edges serve boot files that include it. */
    public NodeCredential apply(NodeCredential credential) throws Exception {
        String ns = credential.getMetadata().getNamespace();
        String before = bootFilesVersion(ns, credential.getSpec().profile);
        credential.getMetadata().setResourceVersion(null);
        NodeCredential applied = client.resource(credential).createOr(NonDeletingOperation::update);
        awaitBootFiles(ns, credential.getSpec().profile, before);
        return applied;
    }

    private String bootFilesVersion(String ns, String profile) {
        ConfigMap boot = client.configMaps().inNamespace(ns).withName(Names.bootConfigMap(profile)).get();
        return boot == null ? null : boot.getMetadata().getResourceVersion();
    }

    public NodeCredential credential(String namespace, String name) {
        return client.resources(NodeCredential.class).inNamespace(namespace).withName(name).get();
    }

    /** The {@code @cert-authority} line the operator publishes for {@code ssh_known_hosts}. */
    public String sshKnownHostsLine() throws Exception {
        return eventually("the SSH CA's ConfigMap", () -> {
            // Published under the SSH CA Secret's name (tether-ssh-ca by default), readable without Secret access.
            ConfigMap published = client.configMaps().inNamespace(OPERATOR_NAMESPACE).withName("tether-ssh-ca").get();
            return published == null ? null : published.getData().get(dev.tether.operator.trust.SshCaPublication.KNOWN_HOSTS);
        });
    }

    /**
     * Waits until the operator has rewritten the profile's boot ConfigMap (a version other than {@code before})
     * and each running edge serves that version.
     */
    private void awaitBootFiles(String ns, String profile, String before) throws Exception {
        eventually("the edges serving the operator's new boot files for " + profile, () -> {
            ConfigMap boot = client.configMaps().inNamespace(ns).withName(Names.bootConfigMap(profile)).get();
            if (boot == null || boot.getData() == null || !boot.getData().containsKey(BootConfigMap.BOOT_JSON)
                    || boot.getMetadata().getResourceVersion().equals(before)) {
                return null;
            }
            String version = boot.getMetadata().getResourceVersion();
            for (EdgeNode edge : edges) {
                if (edge.server != null && !(version.equals(edge.bootFilesVersion) && servesWhatWasWritten(edge))) {
                    return null;
                }
            }
            return version;
        });
    }

    /**
     * Whether the edge has loaded the boot configuration file in its directory now (it polls the file, so for a
     * while after a write it serves the one before).
     */
    private static boolean servesWhatWasWritten(EdgeNode edge) throws IOException {
        EdgeServer server = edge.server;
        return server == null || server.bootConfig().equals(LoadedBootConfig.load(edge.config.bootConfig()));
    }

    /**
     * Puts {@code addon} in place of the profile's addon archive on every edge, as a compromised edge or
     * anyone answering on the boot network would serve it. It stays until {@link #restoreBootFiles()}.
     */
    public void serveForgedAddon(String profile, byte[] addon) throws IOException {
        for (EdgeNode edge : edges) {
            EdgeBootFiles.replace(edge.config.bootConfig().getParent().resolve(EdgeBootConfig.addonFile(profile)),
                    addon);
        }
    }

    /** Has the operator's boot files written to every edge again, and waits until they are. */
    public void restoreBootFiles() throws Exception {
        edges.forEach(edge -> edge.bootFilesVersion = null);
        eventually("the operator's boot files back on every edge",
                () -> edges.stream().allMatch(edge -> edge.bootFilesVersion != null) ? Boolean.TRUE : null);
    }

    /** Kubelet's part for the mounted boot ConfigMap: writes each new version into every edge's boot directory. */
    private void syncBootFiles() {
        while (!closed) {
            try {
                String profile = syncedProfile;
                if (profile != null) {
                    ConfigMap boot = client.configMaps().inNamespace(ImageCache.NAMESPACE).withName(Names.bootConfigMap(profile)).get();
                    if (boot != null && boot.getData() != null && boot.getData().containsKey(BootConfigMap.BOOT_JSON)) {
                        for (EdgeNode edge : edges) {
                            if (!boot.getMetadata().getResourceVersion().equals(edge.bootFilesVersion)) {
                                writeBootFiles(edge, boot);
                            }
                        }
                    }
                }
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    // The client's exception can come with no message (VmBootTest's runs printed five to seven
                    // such a run): its cause says why.
                    System.err.println("[TetherCluster] copying the boot ConfigMap to the edges failed: " + e
                            + (e.getCause() == null ? "" : ", caused by " + e.getCause()));
                }
            }
        }
    }

    private static void writeBootFiles(EdgeNode edge, ConfigMap boot) throws IOException {
        EdgeBootFiles.write(edge.config.bootConfig().getParent(), boot);
        edge.bootFilesVersion = boot.getMetadata().getResourceVersion();
    }

    /** The edges' boot-file URLs as a node reaches them. */
    public List<String> edgeUrls() {
        return edges.stream().map(e -> "http://" + e.address + ":" + e.config.bind().getPort()).toList();
    }

    public int edgeCount() {
        return edges.size();
    }

    /** Stops edge {@code index} as a node failure would: connections cut, nothing answers. */
    public void stopEdge(int index) throws IOException, InterruptedException {
        EdgeNode edge = edges.get(index);
        edge.lastBytesSent = bytesSent(index);
        EdgeServer server = edge.server;
        edge.server = null;
        if (server != null) {
            server.shutdown(Duration.ZERO);
        }
    }

    /** Starts edge {@code index} again on its old cache, as a restarted pod would. */
    public void startEdge(int index) throws IOException {
        EdgeNode edge = edges.get(index);
        if (edge.server == null) {
            edge.server = EdgeServer.start(edge.config);
        }
    }

    /**
     * Damages edge {@code index}'s cached copy of the root image: one byte in each of chunks {@code first} to
     * {@code last}, once the edge holds the whole blob. Nodes must notice and read those chunks elsewhere.
     */
    public void damageChunks(int index, ImageCache.CachedImage image, BuildResult result, long first, long last) throws Exception {
        String hex = result.rootImageDigest().substring("sha256:".length());
        Path original = image.storeDir().resolve("blobs/sha256/" + hex);
        Path cached = edges.get(index).config.cacheDir().resolve("blobs/sha256/" + hex);
        long size = Files.size(original);
        eventually("edge " + index + " holding the whole root image", () -> Files.exists(cached) && Files.size(cached) == size ? cached : null);
        ImageHeader header;
        try (var source = FileChunkSource.open(original)) {
            header = RootImageReader.readHeader(source);
        }
        try (FileChannel file = FileChannel.open(cached, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (long chunk = first; chunk <= last && chunk < header.chunkCount(); chunk++) {
                var location = header.locate(chunk);
                long at = location.offset() + location.length() / 2;
                ByteBuffer one = ByteBuffer.allocate(1);
                file.read(one, at);
                one.put(0, (byte) (one.get(0) ^ 0x5a)).rewind();
                file.write(one, at);
            }
            file.force(false);
        }
    }

    /**
     * Makes edge {@code index} serve {@code foreign} under the root image's URL, as a tampered edge would: once it
     * holds the whole blob (verified when it filled it), the bytes under its cached copy are replaced, from the
     * start, by the foreign container's. A running edge trusts what it verified; a restarted one would check its
     * cache first and drop the copy itself (issue #14), so the node would never see it.
     */
    public void serveForeignRootImage(int index, ImageCache.CachedImage image, BuildResult result, Path foreign)
            throws Exception {
        String hex = result.rootImageDigest().substring("sha256:".length());
        long size = Files.size(image.storeDir().resolve("blobs/sha256/" + hex));
        Path cached = edges.get(index).config.cacheDir().resolve("blobs/sha256/" + hex);
        eventually("edge " + index + " holding the whole root image",
                () -> Files.exists(cached) && Files.size(cached) == size ? cached : null);
        try (FileChannel file = FileChannel.open(cached, StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.wrap(Files.readAllBytes(foreign)), 0);
            file.force(false);
        }
    }

    /**
     * Response body bytes edge {@code index} sent so far ({@code tether_http_sent_bytes_total}); once it is stopped,
     * what it had sent when it stopped.
     */
    public long bytesSent(int index) throws IOException, InterruptedException {
        EdgeNode edge = edges.get(index);
        if (edge.server == null) {
            return edge.lastBytesSent;
        }
        return traffic(index).bytesSent();
    }

    /** What a running edge has sent and answered so far, read from one scrape of its metrics. */
    public record Traffic(long bytesSent, long requests) {
    }

    /**
     * Response body bytes running edge {@code index} sent so far, and the HTTP requests it answered whatever their
     * method and status (this scrape's own not yet among them), from one read of its metrics.
     */
    public Traffic traffic(int index) throws IOException, InterruptedException {
        EdgeNode edge = edges.get(index);
        if (edge.server == null) {
            throw new IllegalStateException("edge " + index + " is stopped");
        }
        String metrics = metrics(edge);
        Matcher sent = SENT.matcher(metrics);
        Matcher answered = REQUESTS.matcher(metrics);
        long requests = 0;
        while (answered.find()) {
            requests += (long) Double.parseDouble(answered.group(1));
        }
        return new Traffic(sent.find() ? (long) Double.parseDouble(sent.group(1)) : -1, requests);
    }

    private String metrics(EdgeNode edge) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + edge.address + ":" + edge.server.port() + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    public Path workDir() {
        return workDir;
    }

    @Override
    public void close() {
        closed = true;
        bootFilesSync.interrupt();
        for (EdgeNode edge : edges) {
            if (edge.server != null) {
                edge.server.close();
            }
        }
        operator.close();
        origin.close();
        addresses.close();
    }

    /** Polls {@code probe} until it gives a value (exceptions count as not yet), for up to a minute. */
    public static <T> T eventually(String what, Callable<T> probe) throws Exception {
        return eventually(what, PATIENCE, probe);
    }

    /** Polls {@code probe} until it gives a value (exceptions count as not yet), for up to {@code patience}. */
    public static <T> T eventually(String what, Duration patience, Callable<T> probe) throws Exception {
        Instant deadline = Instant.now().plus(patience);
        Exception last = null;
        while (Instant.now().isBefore(deadline)) {
            try {
                T value = probe.call();
                if (value != null && !Boolean.FALSE.equals(value)) {
                    return value;
                }
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("timed out waiting for " + what + (last == null ? "" : " (last error: " + last + ")"));
    }

    public static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
            dir = dir.getParent();
        }
        return Objects.requireNonNull(dir, "not inside the Tether checkout");
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** A tethered profile for {@code image} with {@code console=ttyS0}, so the console is captured. */
    public static NodeProfile profile(String name, DisklessImage image, NodeProfileSpec.ImageMethod method, String authorizedKey) {
        var profile = new NodeProfile();
        profile.getMetadata().setName(name);
        profile.getMetadata().setNamespace(image.getMetadata().getNamespace());
        var spec = new NodeProfileSpec();
        spec.image = new NodeProfileSpec.ImageRef();
        spec.image.name = image.getMetadata().getName();
        spec.imageMethod = method;
        spec.kernelArgs = new ArrayList<>(List.of("console=ttyS0"));
        spec.tpmPolicy = NodeProfileSpec.TpmPolicy.REQUIRED;
        spec.ssh = new NodeProfileSpec.Ssh();
        spec.ssh.authorizedKeys = new ArrayList<>(List.of(authorizedKey));
        profile.setSpec(spec);
        return profile;
    }

    public static NodeCredential credential(String nodeName, String profile, String namespace, String mac, NodeCredentialSpec.Arming arming) {
        var credential = new NodeCredential();
        credential.getMetadata().setName(nodeName);
        credential.getMetadata().setNamespace(namespace);
        var spec = new NodeCredentialSpec();
        spec.nodeName = nodeName;
        spec.profile = profile;
        spec.arming = arming;
        spec.tpm = NodeCredentialSpec.Tpm.EXPECTED;
        spec.hardware = new NodeCredentialSpec.Hardware();
        spec.hardware.macs = new ArrayList<>(List.of(mac));
        credential.setSpec(spec);
        return credential;
    }
}
