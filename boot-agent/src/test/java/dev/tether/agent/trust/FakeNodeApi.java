package dev.tether.agent.trust;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.tether.nodeapi.ApiError;
import dev.tether.nodeapi.ApiKeyIssued;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.BootConfiguration;
import dev.tether.nodeapi.BootReport;
import dev.tether.nodeapi.HostCertificates;
import dev.tether.nodeapi.HostKeys;
import dev.tether.nodeapi.ImageKeyIssued;
import dev.tether.nodeapi.NodeApi;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * A stand-in for the operator's node API, implementing the contract's endpoints just enough for the agent's
 * side: arming (once, continuous, disarmed) with a hardware check, key checks, boot configurations, image
 * keys per node, host certificates signed by a real {@code ssh-keygen -s} with a test SSH CA, boot reports.
 * The real node API is tested against the agent once both are in.
 */
final class FakeNodeApi implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final Pattern PATH = Pattern.compile("/v1/namespaces/([^/]+)/nodes/([^/]+)/([a-z-]+)");

    /** One NodeCredential as the operator would hold it. */
    static final class Node {
        String arming = "once";
        boolean armed = true;
        List<String> macs = List.of();
        String smbiosUuid;
        String key;
        BootConfiguration config;
        final Map<String, String> imageKeys = new HashMap<>();
        int issued;
    }

    private final HttpsServer server;
    final Map<String, Node> nodes = new ConcurrentHashMap<>();
    final List<BootReport> reports = new CopyOnWriteArrayList<>();
    final List<String> reportBodies = new CopyOnWriteArrayList<>();
    final List<String> requests = new CopyOnWriteArrayList<>();
    /** The client's port of each request, in order: requests on one TLS connection share it. */
    final List<Integer> clientPorts = new CopyOnWriteArrayList<>();
    /** What the stand-in's principal policy lets its SSH CA certify. */
    static final List<String> KNOWN_HOSTS_PATTERNS = List.of("*.cluster.example", "10.1.*.*");
    final List<String> authorizations = new CopyOnWriteArrayList<>();
    /** The next this many requests are answered 503, as an operator being restarted behind an edge. */
    final AtomicInteger unavailable = new AtomicInteger();
    /** The next this many requests are answered 503 Busy with Retry-After: 3, as the operator's node API does when its handlers are full. */
    final AtomicInteger busy = new AtomicInteger();
    /** When set, answers are this many bytes of padding instead. */
    volatile int oversizedAnswer;
    private final Path workDir;
    private final Path sshCa;

    FakeNodeApi(SSLContext tls, Path workDir) throws Exception {
        this.workDir = workDir;
        this.sshCa = workDir.resolve("ssh-ca");
        if (Files.isExecutable(Path.of("/usr/bin/ssh-keygen"))) {
            run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test-ssh-ca", "-f", sshCa.toString());
        }
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", this::handle);
        server.start();
    }

    URI url() {
        return URI.create("https://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The SSH CA's public key line. */
    String sshCaPublicKey() throws IOException {
        return Files.readString(workDir.resolve("ssh-ca.pub")).strip();
    }

    Node node(String namespace, String name) {
        return nodes.computeIfAbsent(namespace + "/" + name, k -> new Node());
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            clientPorts.add(exchange.getRemoteAddress().getPort());
            String authorization = exchange.getRequestHeaders().getFirst(NodeApi.AUTHORIZATION);
            if (authorization != null) {
                authorizations.add(authorization);
            }
            if (busy.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                exchange.getResponseHeaders().set("Retry-After", "3");
                send(exchange, 503, new ApiError("Busy", "the node API is answering too many requests; try again shortly"));
                return;
            }
            if (unavailable.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                send(exchange, 503, new ApiError("Unavailable", "the node API is starting"));
                return;
            }
            if (oversizedAnswer > 0) {
                byte[] padding = new byte[oversizedAnswer];
                java.util.Arrays.fill(padding, (byte) ' ');
                exchange.sendResponseHeaders(200, padding.length);
                exchange.getResponseBody().write(padding);
                return;
            }
            Matcher matcher = PATH.matcher(path);
            if (!matcher.matches()) {
                send(exchange, 404, new ApiError("NotFound", "no such path"));
                return;
            }
            Node node = nodes.get(matcher.group(1) + "/" + matcher.group(2));
            String endpoint = matcher.group(3);
            byte[] body = readBounded(exchange.getRequestBody());
            if (endpoint.equals(NodeApi.API_KEY)) {
                issueKey(exchange, matcher.group(1), matcher.group(2), node, body);
                return;
            }
            if (node == null || node.key == null || !(NodeApi.BEARER + node.key).equals(authorization)) {
                send(exchange, 401, new ApiError("BadCredentials", "unknown node or wrong key"));
                return;
            }
            switch (endpoint) {
                case NodeApi.BOOT_CONFIG -> send(exchange, 200, node.config);
                case NodeApi.IMAGE_KEY -> {
                    String digest = exchange.getRequestURI().getQuery().replaceFirst("^digest=", "");
                    String key = node.imageKeys.get(digest);
                    if (key == null) {
                        send(exchange, 403, new ApiError("NotThisNodesImage", "the node's profile does not boot " + digest));
                    } else {
                        send(exchange, 200, new ImageKeyIssued(digest, dev.tether.image.format.ImageKey.of(
                                java.util.HexFormat.of().parseHex(key)).keyIdHex(), key));
                    }
                }
                case NodeApi.HOST_CERTIFICATES -> sign(exchange, node, JSON.readValue(body, HostKeys.class));
                case NodeApi.BOOT_REPORT -> {
                    reports.add(JSON.readValue(body, BootReport.class));
                    reportBodies.add(new String(body, java.nio.charset.StandardCharsets.UTF_8));
                    exchange.sendResponseHeaders(204, -1);
                }
                default -> send(exchange, 404, new ApiError("NotFound", "no endpoint " + endpoint));
            }
        } catch (Exception e) {
            e.printStackTrace();
        }
    }

    private void issueKey(HttpExchange exchange, String namespace, String name, Node node, byte[] body) throws IOException {
        if (node == null) {
            send(exchange, 404, new ApiError("UnknownNode", "no NodeCredential for node " + name));
            return;
        }
        ArmingRequest request = JSON.readValue(body, ArmingRequest.class);
        boolean matches = request.macs().stream().anyMatch(node.macs::contains)
                || node.smbiosUuid != null && node.smbiosUuid.equals(request.smbiosUuid());
        if (!matches) {
            send(exchange, 403, new ApiError("HardwareMismatch", "the hardware does not match NodeCredential "
                    + namespace + "/" + name));
            return;
        }
        if (!node.armed) {
            send(exchange, 403, new ApiError("NotArmed", "NodeCredential " + namespace + "/" + name + " is not armed"));
            return;
        }
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        node.key = "tk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        node.issued++;
        if (node.arming.equals("once")) {
            node.armed = false;
        }
        send(exchange, 200, new ApiKeyIssued(node.key, node.armed ? node.arming : "disarmed"));
    }

    private void sign(HttpExchange exchange, Node node, HostKeys keys) throws Exception {
        List<String> certificates = new ArrayList<>();
        String principals = node.config.nodeName() + (node.config.fqdn() == null ? "" : "," + node.config.fqdn());
        int serial = 1;
        for (String key : keys.publicKeys()) {
            Path file = Files.writeString(Files.createTempFile(workDir, "host", ".pub"), key + "\n");
            String base = file.toString().substring(0, file.toString().length() - ".pub".length());
            run("ssh-keygen", "-q", "-s", sshCa.toString(), "-h", "-I", node.config.nodeName() + "-host",
                    "-n", principals, "-V", "-5m:+1d", "-z", String.valueOf(serial++), file.toString());
            certificates.add(Files.readString(Path.of(base + "-cert.pub")).strip());
        }
        send(exchange, 200, new HostCertificates(certificates, sshCaPublicKey(), List.of(principals.split(",")),
                "tomorrow", KNOWN_HOSTS_PATTERNS));
    }

    private static byte[] readBounded(InputStream in) throws IOException {
        byte[] body = in.readNBytes(NodeApi.MAX_BODY_BYTES + 1);
        if (body.length > NodeApi.MAX_BODY_BYTES) {
            throw new IOException("request body too large");
        }
        return body;
    }

    private static void send(HttpExchange exchange, int status, Object answer) throws IOException {
        byte[] json = JSON.writeValueAsBytes(answer);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (status == 429) {
            exchange.getResponseHeaders().set("Retry-After", "2");
        }
        exchange.sendResponseHeaders(status, json.length);
        exchange.getResponseBody().write(json);
    }

    static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
