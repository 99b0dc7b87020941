package dev.tether.imgutil.spec;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.Manifest;
import dev.tether.imgutil.cli.CliRun;
import dev.tether.imgutil.fixture.DebianTreeFixture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The builder Job end to end, as the operator will run it: a real debootstrap of bookworm, files, steps,
 * pack with the image's default initramfs policy, publish to an origin on loopback, the result line.
 * Takes ten minutes or more on a small machine, so it is in the long suite (./mvnw -Plong).
 */
@Tag("long")
class RunSpecTest {
    @TempDir
    Path dir;

    @Test
    void buildsCustomisesPacksAndPublishes() throws Exception {
        DebianTreeFixture.assumeBuildable();
        DebianTreeFixture.assumeMirrorReachable();
        Map<String, byte[]> blobs = new ConcurrentHashMap<>();
        HttpServer origin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        origin.createContext("/blobs/sha256/", exchange -> {
            String hex = exchange.getRequestURI().getPath().substring("/blobs/sha256/".length());
            if (exchange.getRequestMethod().equals("PUT")) {
                byte[] body = exchange.getRequestBody().readAllBytes();
                boolean ok = ContentDigest.of(body).equals("sha256:" + hex);
                if (ok) {
                    blobs.put(hex, body);
                }
                exchange.sendResponseHeaders(ok ? 201 : 400, -1);
            } else {
                exchange.sendResponseHeaders(blobs.containsKey(hex) ? 200 : 404, -1);
            }
            exchange.close();
        });
        origin.start();
        try {
            Path spec = Files.writeString(dir.resolve("spec.json"), """
                    {"distribution":"debian","release":"bookworm","architecture":"amd64","packages":["openssh-server"],
                     "repositories":[],"steps":[{"name":"greet","run":"echo built-by-step > /etc/tether-step"}],
                     "files":[{"path":"/etc/motd","content":"hi","mode":"0640"}],
                     "compression":"zstd","encryption":"enabled","chunkSize":"1Mi","builderResources":{}}
                    """);
            Path token = Files.writeString(dir.resolve("token"), "t0ken");
            Path result = dir.resolve("termination-log");
            Path bundle = Files.createDirectories(dir.resolve("agent/bin"));
            Files.writeString(bundle.resolve("tether-agent"), "#!/bin/sh\necho stand-in agent\n");
            Files.setPosixFilePermissions(bundle.resolve("tether-agent"), PosixFilePermissions.fromString("rwxr-xr-x"));

            CliRun run = CliRun.of("run-spec", spec.toString(), "--work", dir.resolve("work").toString(),
                    "--out", dir.resolve("out").toString(), "--key-file", dir.resolve("key").toString(),
                    "--result-file", result.toString(), "--origin", "http://127.0.0.1:" + origin.getAddress().getPort(),
                    "--token-file", token.toString(), "--agent-bundle", dir.resolve("agent").toString());

            System.err.print(run.err());
            assertThat(run.status()).as(run.errorLine()).isZero();
            JsonNode line = new ObjectMapper().readTree(Files.readString(result));
            Manifest manifest = Manifest.read(dir.resolve("out/manifest.json"));
            assertThat(line.get("digest").asText()).isEqualTo(run.out().strip())
                    .isEqualTo(ContentDigest.ofFile(dir.resolve("out/manifest.json")));
            assertThat(line.get("kernelVersion").asText()).isEqualTo(manifest.kernelVersion());
            assertThat(line.get("encrypted").asBoolean()).isTrue();
            assertThat(blobs).hasSize(4).containsKey(ContentDigest.hex(line.get("digest").asText()));
            Path tree = dir.resolve("work/rootfs");
            assertThat(tree.resolve("etc/tether-step")).hasContent("built-by-step");
            assertThat(tree.resolve("etc/motd")).hasContent("hi");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tree.resolve("etc/motd"))))
                    .isEqualTo("rw-r-----");
            assertThat(tree.resolve("usr/sbin/policy-rc.d")).doesNotExist();
        } finally {
            origin.stop(0);
        }
    }
}
