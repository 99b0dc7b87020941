package dev.tether.e2e.storm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.agent.AgentConsole;
import dev.tether.agent.ManifestResolver;
import dev.tether.agent.image.RemoteRootImage;
import dev.tether.agent.image.TetheredSettings;
import dev.tether.agent.trust.ApiKey;
import dev.tether.agent.trust.NodeApiClient;
import dev.tether.agent.trust.NodeApiTls;
import dev.tether.dev.PlainHttpConnection;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.RootImagePin;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.BootConfiguration;
import dev.tether.nodeapi.BootReport;
import dev.tether.nodeapi.HostKeys;
import dev.tether.nodeapi.ImageKeyIssued;
import dev.tether.nodeapi.NodeApi;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;

/**
 * One simulated node booting through Tether, as a real one talks to the servers: its iPXE script from the edge it was
 * sent to; kernel, initramfs and the profile's addon archive downloaded whole from that edge on one connection, as
 * iPXE does; then the agent's part with the agent's own code: the node API through the edges' pass-through over TLS
 * (a new API key over the network when the credential is armed, else the key it already has; boot configuration,
 * image key, host certificates for its host keys), the manifest, and the root image read through
 * {@link RemoteRootImage} (multipath, hedging, verification, cache, read-ahead) replaying the boot's read trace; the
 * boot report last. What it leaves out: FUSE, the loop device and squashfs (the kernel's side), the TPM, and making
 * host keys (a node's own CPU, not the servers'; the keys come from a pool made before the storm).
 */
final class TetherNode {
    private static final Pattern KERNEL = Pattern.compile("(?m)^kernel (\\S+)");
    private static final Pattern INITRD = Pattern.compile("(?m)^initrd --name (\\S+) (\\S+)");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Path> CA_FILES = new ConcurrentHashMap<>();

    /** What every node of one storm shares: the trace, the reader's settings, the host key pool, the console. */
    record Shared(TraceReplay trace, TetheredSettings settings, HostKeyPool hostKeys, AgentConsole console, Path workDir) {
    }

    private final int index;
    private final URI edge;
    private final ApiKey sealedKey;
    private final Shared shared;

    /** @param sealedKey the key the node's TPM holds, or null when its credential is armed and it fetches one */
    TetherNode(int index, URI edge, ApiKey sealedKey, Shared shared) {
        this.index = index;
        this.edge = edge;
        this.sealedKey = sealedKey;
        this.shared = shared;
    }

    NodeOutcome boot() {
        NodeOutcome node = new NodeOutcome(index);
        try (PlainHttpConnection ipxe = new PlainHttpConnection(edge, BaselineNode.STORM_READ_TIMEOUT); HttpClient agentHttp = http()) {
            String mac = StormCluster.mac(index);
            String script = node.timed("ipxe script", () -> text(ipxe, "/boot/ipxe?mac=" + mac, node));
            Matcher kernel = KERNEL.matcher(script);
            if (!kernel.find()) {
                throw new IOException("the iPXE script boots no kernel: " + script.strip().replace('\n', '|'));
            }
            Map<String, String> initrds = new java.util.HashMap<>();
            for (Matcher m = INITRD.matcher(script); m.find(); ) {
                initrds.put(m.group(1), m.group(2));
            }
            node.received(node.timed("kernel", () -> ipxe.get(onEdge(kernel.group(1)), null)));
            node.received(node.timed("initramfs", () -> ipxe.get(onEdge(initrds.get("initramfs")), null)));
            byte[] addon = node.timed("addon", () -> bytes(ipxe, onEdge(initrds.get("addon")), node));
            Map<String, byte[]> addonFiles = unpack(addon);
            JsonNode profile = JSON.readTree(addonFiles.get("etc/tether/profile.json"));
            List<URI> nodeApiUrls = new ArrayList<>();
            profile.path("nodeApi").forEach(u -> nodeApiUrls.add(URI.create(u.asText())));
            SSLContext tls = tls(addonFiles.get(NodeApi.CA_CERTIFICATE_PATH.substring(1)));

            // The agent, from here on. Its node API calls run on threads as nice as the servers, timed there:
            // a real node makes them on its own idle CPU, not behind 500 nodes' image reading (NodeApiThreads).
            NodeApiClient api = NodeApiThreads.call(() -> new NodeApiClient(nodeApiUrls,
                    profile.path("namespace").asText(), StormCluster.nodeName(index), tls, NodeApiClient.Settings.DEFAULT,
                    NodeApiClient.Sleeper.REAL, shared.console()));
            ApiKey key = sealedKey != null ? sealedKey : NodeApiThreads.call(() -> node.timed(NodeApi.API_KEY,
                    () -> ApiKey.of(api.requestApiKey(new ArmingRequest(List.of(mac), null)).apiKey())));
            BootConfiguration config = NodeApiThreads.call(() -> node.timed(NodeApi.BOOT_CONFIG,
                    () -> api.bootConfiguration(key)));
            ImageKeyIssued imageKey = NodeApiThreads.call(() -> node.timed(NodeApi.IMAGE_KEY,
                    () -> api.imageKey(key, config.image())));
            HostKeys hostKeys = shared.hostKeys().publicKeys(config.ssh() == null ? null : config.ssh().hostKeyTypes(), index);
            NodeApiThreads.call(() -> node.timed(NodeApi.HOST_CERTIFICATES, () -> api.signHostKeys(key, hostKeys)));
            List<URI> edges = config.edges().stream().map(URI::create).toList();
            RootImagePin pin = node.timed("manifest", () -> RootImagePin.of(
                    new ManifestResolver(agentHttp, Duration.ofMinutes(2), shared.console()).fetch(edges, config.image())));
            long mount = System.nanoTime();
            long fetched;
            try (RemoteRootImage image = RemoteRootImage.open(edges, pin, ImageKey.of(HexFormat.of().parseHex(imageKey.keyHex())),
                    shared.settings())) {
                TraceReader.Replayed replayed = TraceReader.replay(shared.trace(), mount, image::read);
                node.rootReached();
                node.rootReplayed(mount, replayed);
                var stats = image.stats();
                fetched = stats.bytes();
                node.fetched(stats.requests(), stats.hedges(), stats.edgeFailures());
            }
            node.received(fetched);
            long mountMillis = (System.nanoTime() - mount) / 1_000_000;
            NodeApiThreads.call(() -> node.timed(NodeApi.BOOT_REPORT, () -> {
                api.report(key, new BootReport(config.image(), "tethered", sealedKey == null ? "network" : "tpm",
                        Map.of("root", mountMillis), null));
                return null;
            }));
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return node.failed(e);
        }
        return node;
    }

    /** One connection per client, as iPXE keeps one and the agent's clients pool theirs. */
    private static HttpClient http() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** The path of a URL the script names, which must be on the edge the node asked (the script is built so). */
    private String onEdge(String url) throws IOException {
        URI uri = URI.create(url);
        if (!uri.getHost().equals(edge.getHost()) || uri.getPort() != edge.getPort()) {
            throw new IOException("the iPXE script sends the node to " + url + ", not to the edge it asked");
        }
        return uri.getRawPath();
    }

    private static String text(PlainHttpConnection http, String path, NodeOutcome node) throws IOException {
        return new String(bytes(http, path, node), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(PlainHttpConnection http, String path, NodeOutcome node) throws IOException {
        ByteBuffer body = ByteBuffer.allocate(1 << 20);
        long length = http.get(path, body);
        node.received(length);
        return Arrays.copyOf(body.array(), (int) length);
    }

    private static Map<String, byte[]> unpack(byte[] cpio) throws IOException {
        Map<String, byte[]> files = new java.util.HashMap<>();
        try (var in = new CpioArchiveInputStream(new ByteArrayInputStream(cpio))) {
            for (CpioArchiveEntry entry; (entry = in.getNextEntry()) != null; ) {
                if (entry.isRegularFile()) {
                    files.put(entry.getName(), in.readAllBytes());
                }
            }
        }
        return files;
    }

    /**
     * The node API trust a node builds from its addon's CA certificate: a context of its own, as each agent has, so no
     * node resumes another's TLS session and every node costs the server a full handshake.
     */
    private SSLContext tls(byte[] caPem) throws Exception {
        if (caPem == null) {
            throw new IOException("the addon archive carries no node API CA certificate");
        }
        String pem = new String(caPem, StandardCharsets.UTF_8);
        Path file = CA_FILES.computeIfAbsent(pem, p -> {
            try {
                return Files.writeString(Files.createTempFile(shared.workDir(), "node-api-ca", ".pem"), p);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        return NodeApiTls.context(file, NodeApi.SERVER_NAME);
    }
}
