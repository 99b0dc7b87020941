package dev.tether.imgutil.publish;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.Manifest;
import dev.tether.imgutil.cli.CliRun;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * publish against a small origin on loopback that keeps the content-server contract: digest checked on PUT, and a blob
 * found stored is claimed ({@code POST /claims/sha256/<hex>}) rather than looked at with a HEAD, so the operator's
 * garbage collection keeps it until the build's version is published (#14).
 */
class PublishTest {
    private static final String TOKEN = "s3cret-token";

    @TempDir
    Path dir;

    private HttpServer origin;
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final List<String> requests = new ArrayList<>();
    private final List<String> claimed = new ArrayList<>();
    private volatile boolean claimsServed = true;

    @BeforeEach
    void startOrigin() throws IOException {
        origin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        origin.createContext("/blobs/sha256/", this::handle);
        origin.createContext("/claims/sha256/", this::handleClaim);
        origin.start();
    }

    @AfterEach
    void stopOrigin() {
        origin.stop(0);
    }

    private synchronized void handleClaim(HttpExchange exchange) throws IOException {
        String hex = exchange.getRequestURI().getPath().substring("/claims/sha256/".length());
        requests.add(exchange.getRequestMethod() + " claim " + hex);
        if (!claimsServed) {
            exchange.sendResponseHeaders(404, -1); // an origin from before claims: no such URL
        } else if (!"POST".equals(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(405, -1);
        } else if (!("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            exchange.sendResponseHeaders(401, -1);
        } else if (blobs.containsKey(hex)) {
            claimed.add(hex);
            exchange.sendResponseHeaders(204, -1);
        } else {
            exchange.sendResponseHeaders(404, -1);
        }
        exchange.close();
    }

    private synchronized void handle(HttpExchange exchange) throws IOException {
        String hex = exchange.getRequestURI().getPath().substring("/blobs/sha256/".length());
        requests.add(exchange.getRequestMethod() + " " + hex);
        switch (exchange.getRequestMethod()) {
            case "HEAD" -> {
                byte[] blob = blobs.get(hex);
                if (blob == null) {
                    exchange.sendResponseHeaders(404, -1);
                } else {
                    exchange.getResponseHeaders().set("Content-Length", Long.toString(blob.length));
                    exchange.sendResponseHeaders(200, -1);
                }
            }
            case "PUT" -> {
                if (!("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                    exchange.sendResponseHeaders(401, -1);
                } else if (exchange.getRequestHeaders().getFirst("Content-Length") == null) {
                    exchange.sendResponseHeaders(411, -1);
                } else {
                    byte[] body = exchange.getRequestBody().readAllBytes();
                    if (ContentDigest.of(body).equals("sha256:" + hex)) {
                        blobs.put(hex, body);
                        exchange.sendResponseHeaders(201, -1);
                    } else {
                        exchange.sendResponseHeaders(400, -1);
                    }
                }
            }
            default -> exchange.sendResponseHeaders(405, -1);
        }
        exchange.close();
    }

    private String originUrl() {
        return "http://127.0.0.1:" + origin.getAddress().getPort();
    }

    /** An output directory as pack leaves it, with small artifacts. */
    private Path outDir() throws IOException {
        Path out = Files.createDirectories(dir.resolve("out"));
        Random random = new Random(1);
        Manifest.Artifact[] artifacts = new Manifest.Artifact[3];
        String[] names = {"vmlinuz", "initrd.img", "root.img"};
        for (int i = 0; i < 3; i++) {
            byte[] bytes = new byte[1000 + random.nextInt(200_000)];
            random.nextBytes(bytes);
            Files.write(out.resolve(names[i]), bytes);
            artifacts[i] = new Manifest.Artifact(names[i], ContentDigest.of(bytes), bytes.length);
        }
        Manifest manifest = new Manifest(1, "imgutil test", "2025-01-01T00:00:00Z", "debian", "bookworm", "amd64",
                "6.1.0-test", "zstd", artifacts[0], artifacts[1], artifacts[2], null,
                new Manifest.Encryption("NONE+SHA-256", null, 1 << 20, 1, null));
        Files.write(out.resolve("manifest.json"), manifest.toJson());
        return out;
    }

    @Test
    void uploadsEveryArtifactThenTheManifestAndSkipsWhatTheOriginHas() throws Exception {
        Path out = outDir();
        Path token = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        String imageDigest = ContentDigest.ofFile(out.resolve("manifest.json"));

        CliRun first = CliRun.of("publish", out.toString(), "--origin", originUrl(), "--token", token.toString());

        assertThat(first.status()).as(first.err()).isZero();
        assertThat(first.out().strip()).isEqualTo(imageDigest);
        assertThat(blobs).hasSize(4).containsKey(ContentDigest.hex(imageDigest));
        List<String> puts = requests.stream().filter(request -> request.startsWith("PUT")).toList();
        assertThat(puts).hasSize(4).last().isEqualTo("PUT " + ContentDigest.hex(imageDigest));

        requests.clear();
        CliRun second = CliRun.of("publish", out.toString(), "--origin", originUrl(), "--token", token.toString());
        assertThat(second.status()).isZero();
        assertThat(requests).as("what the origin has is claimed, not looked at").hasSize(4)
                .allMatch(request -> request.startsWith("POST claim "));
        assertThat(claimed).hasSize(4).contains(ContentDigest.hex(imageDigest));
    }

    @Test
    void anOriginFromBeforeClaimsGetsEverythingUploaded() throws Exception {
        claimsServed = false;
        Path out = outDir();
        Path token = Files.writeString(dir.resolve("token"), TOKEN);
        CliRun run = CliRun.of("publish", out.toString(), "--origin", originUrl(), "--token", token.toString());
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(blobs).hasSize(4);
        assertThat(requests.stream().filter(request -> request.startsWith("PUT"))).hasSize(4);
    }

    @Test
    void wrongTokenIsOneClearLine() throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "wrong");
        CliRun run = CliRun.of("publish", outDir().toString(), "--origin", originUrl(), "--token", token.toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.errorLine()).startsWith("imgutil: the origin refused the token (HTTP 401)");
        assertThat(blobs).isEmpty();
    }

    @Test
    void changedArtifactIsNotUploaded() throws Exception {
        Path out = outDir();
        Files.writeString(out.resolve("initrd.img"), "tampered");
        Path token = Files.writeString(dir.resolve("token"), TOKEN);
        CliRun run = CliRun.of("publish", out.toString(), "--origin", originUrl(), "--token", token.toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.errorLine()).contains("initrd.img does not match the manifest");
        assertThat(blobs).doesNotContainKey(ContentDigest.hex(ContentDigest.ofFile(out.resolve("manifest.json"))));
    }

    @Test
    void unreachableOriginIsOneClearLine() throws Exception {
        Path out = outDir();
        Path token = Files.writeString(dir.resolve("token"), TOKEN);
        origin.stop(0);
        CliRun run = CliRun.of("publish", out.toString(), "--origin", originUrl(), "--token", token.toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.errorLine()).startsWith("imgutil: cannot upload to " + originUrl());
        assertThat(run.err()).doesNotContain("\tat ");
    }
}
