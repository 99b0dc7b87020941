package dev.tether.agent;

import com.sun.net.httpserver.HttpServer;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.ImageCipher;
import dev.tether.image.format.Manifest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A stand-in edge on loopback that serves blobs by digest, as {@code GET /blobs/sha256/<hex>}. */
public final class ManifestServer implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();

    public ManifestServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/blobs/sha256/", exchange -> {
            String hex = exchange.getRequestURI().getPath().substring("/blobs/sha256/".length());
            byte[] body = blobs.get("sha256:" + hex);
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
            exchange.close();
        });
        server.start();
    }

    /** Publishes a manifest and returns its digest, the image digest. */
    public String publish(Manifest manifest) {
        byte[] json = manifest.toJson();
        String digest = ContentDigest.of(json);
        blobs.put(digest, json);
        return digest;
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** A manifest naming a root image, as imgutil writes one (the artifacts need not exist for the agent). */
    public static Manifest manifest(String rootImageDigest, long squashfsBytes, boolean encrypted, String keyId) {
        Manifest.Artifact kernel = new Manifest.Artifact("vmlinuz", "sha256:" + "11".repeat(32), 1000);
        Manifest.Artifact initramfs = new Manifest.Artifact("initrd.img", "sha256:" + "22".repeat(32), 2000);
        Manifest.Artifact rootImage = new Manifest.Artifact("root.img", rootImageDigest, squashfsBytes + 4096);
        Manifest.Artifact squashfs = new Manifest.Artifact(null, "sha256:" + "33".repeat(32), squashfsBytes);
        Manifest.Encryption encryption = new Manifest.Encryption(
                (encrypted ? ImageCipher.AES_256_GCM : ImageCipher.NONE_SHA256).displayName(), keyId, 1 << 20, 1);
        return new Manifest(Manifest.FORMAT_VERSION, "test", "2025-01-01T00:00:00Z", "debian", "bookworm", "amd64",
                "6.1.0-test", "zstd", kernel, initramfs, rootImage, squashfs, encryption);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
