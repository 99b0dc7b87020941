package dev.tether.e2e.vm;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.content.edge.EdgeServer;
import dev.tether.content.edge.FillSettings;
import dev.tether.content.http.HttpSettings;
import dev.tether.content.origin.OriginServer;
import dev.tether.operator.profile.BootConfig;
import dev.tether.operator.profile.BootConfigMap;
import dev.tether.operator.profile.ResolvedImage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a cluster gives a booting machine, without the cluster: an origin holding the built image, edges
 * (the content-server's edge role, in this JVM) that fill from it, and each edge's boot files (boot.json
 * and the addon archive) written by the operator's own {@link BootConfigMap} code for a NodeProfile and
 * its NodeCredentials, as the ConfigMap mounted into an edge would hold them. The edges advertise
 * themselves to the machine at {@value VirtualMachine#HOST_FROM_GUEST}, the host as qemu's user network
 * shows it.
 *
 * <p>Later steps plug in here: the node API (edges started with an API port relaying to it, and its URLs
 * given to {@link BootConfigMap#build}), and stopping one edge while the machine runs ({@link #edge(int)}).
 */
public final class TetherCluster implements AutoCloseable {
    private static final Pattern SENT = Pattern.compile("(?m)^tether_http_sent_bytes_total(?:\\{[^}]*})? ([0-9.Ee+]+)$");

    private final OriginServer origin;
    private final List<EdgeServer> edges;
    private final List<String> edgeUrlsForGuest;
    private final HttpClient http = HttpClient.newHttpClient();

    private TetherCluster(OriginServer origin, List<EdgeServer> edges, List<String> edgeUrlsForGuest) {
        this.origin = origin;
        this.edges = edges;
        this.edgeUrlsForGuest = edgeUrlsForGuest;
    }

    /** A tethered profile booting {@code image}, with {@code console=ttyS0} so the console is captured. */
    public static NodeProfile profile(String name, DisklessImage image, NodeProfileSpec.ImageMethod method) {
        var profile = new NodeProfile();
        profile.getMetadata().setName(name);
        profile.getMetadata().setNamespace(image.getMetadata().getNamespace());
        var spec = new NodeProfileSpec();
        spec.image = new NodeProfileSpec.ImageRef();
        spec.image.name = image.getMetadata().getName();
        spec.imageMethod = method;
        spec.kernelArgs = new ArrayList<>(List.of("console=ttyS0"));
        profile.setSpec(spec);
        return profile;
    }

    public static NodeCredential credential(String nodeName, String profile, String namespace, String mac) {
        var credential = new NodeCredential();
        credential.getMetadata().setName(nodeName);
        credential.getMetadata().setNamespace(namespace);
        var spec = new NodeCredentialSpec();
        spec.nodeName = nodeName;
        spec.profile = profile;
        spec.hardware = new NodeCredentialSpec.Hardware();
        spec.hardware.macs = new ArrayList<>(List.of(mac));
        credential.setSpec(spec);
        return credential;
    }

    /**
     * Starts the origin on the cached image's store and {@code edgeCount} edges under {@code workDir}, each
     * with the boot files of {@code profile} and {@code credentials}.
     */
    public static TetherCluster start(ImageCache.CachedImage image, NodeProfile profile, List<NodeCredential> credentials,
            int edgeCount, Path workDir) throws IOException, InterruptedException {
        OriginServer origin = image.startOrigin();
        List<EdgeServer> edges = new ArrayList<>();
        try {
            if (AgentOverlay.enabled()) {
                image = new ImageCache.CachedImage(image.storeDir(), AgentOverlay.apply(Path.of("..").toAbsolutePath().normalize(),
                        image, origin, ImageCache.TOKEN), image.image(), image.directory());
            }
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < edgeCount; i++) {
                ports.add(VirtualMachine.freePort());
            }
            List<String> guestUrls = ports.stream().map(p -> "http://" + VirtualMachine.HOST_FROM_GUEST + ":" + p).toList();
            var resolved = ResolvedImage.resolve(profile, Optional.of(image.published()));
            if (!resolved.ok()) {
                throw new IllegalStateException("the profile does not resolve its image: " + resolved.problem());
            }
            // No node API yet: no node API URLs and no cluster CA in the addon archive.
            var configMap = BootConfigMap.build(profile, resolved, credentials, guestUrls, List.of(), null);
            for (int i = 0; i < edgeCount; i++) {
                Path dir = workDir.resolve("edge-" + i);
                Path boot = dir.resolve("boot");
                Files.createDirectories(boot);
                Files.writeString(boot.resolve(BootConfigMap.BOOT_JSON), configMap.getData().get(BootConfigMap.BOOT_JSON));
                for (var binary : configMap.getBinaryData().entrySet()) {
                    Files.write(boot.resolve(binary.getKey()), Base64.getDecoder().decode(binary.getValue()));
                }
                List<String> peers = new ArrayList<>();
                for (int j = 0; j < i; j++) {
                    peers.add("http://127.0.0.1:" + ports.get(j));
                }
                edges.add(EdgeServer.start(new EdgeServer.Config(dir.resolve("cache"), 8L << 30,
                        "http://127.0.0.1:" + origin.port(), peers, new InetSocketAddress("127.0.0.1", ports.get(i)),
                        null, null, boot.resolve(BootConfigMap.BOOT_JSON), Duration.ofSeconds(2), null,
                        HttpSettings.defaults(), FillSettings.defaults(), Duration.ofMinutes(10), 2)));
            }
            return new TetherCluster(origin, edges, guestUrls);
        } catch (IOException | RuntimeException e) {
            edges.forEach(EdgeServer::close);
            origin.close();
            throw e;
        }
    }

    /** The edges' URLs as the guest reaches them. */
    public List<String> edgeUrlsForGuest() {
        return edgeUrlsForGuest;
    }

    public EdgeServer edge(int index) {
        return edges.get(index);
    }

    public int edgeCount() {
        return edges.size();
    }

    public OriginServer origin() {
        return origin;
    }

    /** An edge's {@code /metrics}, read over HTTP as Prometheus would. */
    public String metrics(int edge) throws IOException, InterruptedException {
        var response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edges.get(edge).port() + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return response.body();
    }

    /** Response body bytes the edge sent so far ({@code tether_http_sent_bytes_total}). */
    public long bytesSent(int edge) throws IOException, InterruptedException {
        Matcher m = SENT.matcher(metrics(edge));
        return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
    }

    /** True once every edge answers the boot script for {@code mac} with a kernel to boot. */
    public boolean serves(String mac) throws IOException, InterruptedException {
        for (EdgeServer edge : edges) {
            var response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + "/boot/ipxe?mac=" + mac))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200 || !response.body().contains("\nkernel ")) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        edges.forEach(EdgeServer::close);
        origin.close();
    }

    static String addonFile(String profile) {
        return BootConfig.addonFile(profile);
    }
}
