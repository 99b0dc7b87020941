package dev.tether.agent;

import com.sun.net.httpserver.HttpServer;
import dev.tether.image.format.ChunkHashes;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.ImageCipher;
import dev.tether.image.format.ImageFormatException;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.Manifest;
import dev.tether.image.format.RootImagePin;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in edge on loopback that serves blobs by digest, as {@code GET /blobs/sha256/<hex>}, whole or by
 * range. It serves whatever it was given under a digest, so it can also play an edge that serves another
 * container under a real image's URL.
 */
public final class ManifestServer implements AutoCloseable {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");

    private final HttpServer server;
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();

    public ManifestServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/blobs/sha256/", exchange -> {
            String hex = exchange.getRequestURI().getPath().substring("/blobs/sha256/".length());
            byte[] body = blobs.get("sha256:" + hex);
            Matcher range = RANGE.matcher(String.valueOf(exchange.getRequestHeaders().getFirst("Range")));
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
            } else if (range.matches()) {
                int first = Integer.parseInt(range.group(1));
                int last = Math.min(body.length - 1, Integer.parseInt(range.group(2)));
                exchange.getResponseHeaders().set("Content-Range", "bytes " + first + "-" + last + "/" + body.length);
                exchange.sendResponseHeaders(206, last - first + 1);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body, first, last - first + 1);
                }
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

    /** Serves {@code bytes} under {@code digest}, whatever their own digest is. */
    public void serve(String digest, byte[] bytes) {
        blobs.put(digest, bytes);
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /**
     * A manifest naming a root image, as imgutil writes one (the artifacts need not exist for the agent; an
     * unencrypted image's chunk hashes pin no real chunks).
     */
    public static Manifest manifest(String rootImageDigest, long squashfsBytes, boolean encrypted, String keyId) {
        Manifest.Artifact kernel = new Manifest.Artifact("vmlinuz", "sha256:" + "11".repeat(32), 1000);
        Manifest.Artifact initramfs = new Manifest.Artifact("initrd.img", "sha256:" + "22".repeat(32), 2000);
        Manifest.Artifact rootImage = new Manifest.Artifact("root.img", rootImageDigest, squashfsBytes + 4096);
        Manifest.Artifact squashfs = new Manifest.Artifact(null, "sha256:" + "33".repeat(32), squashfsBytes);
        long chunks = ImageHeader.chunkCount(squashfsBytes, 1 << 20);
        Manifest.Encryption encryption = new Manifest.Encryption(
                (encrypted ? ImageCipher.AES_256_GCM : ImageCipher.NONE_SHA256).displayName(), keyId, 1 << 20, chunks,
                "sha256:" + "44".repeat(32),
                encrypted ? null : Base64.getEncoder().encodeToString(new byte[(int) chunks * ChunkHashes.HASH_LENGTH]));
        return new Manifest(Manifest.FORMAT_VERSION, "test", "2025-01-01T00:00:00Z", "debian", "bookworm", "amd64",
                "6.1.0-test", "zstd", kernel, initramfs, rootImage, squashfs, encryption);
    }

    /** The manifest imgutil would write for {@code container}, a real one, pinning its header. */
    public static Manifest manifest(byte[] container) throws ImageFormatException {
        ImageHeader header = ImageHeader.decode(ByteBuffer.wrap(container));
        Manifest.Artifact kernel = new Manifest.Artifact("vmlinuz", "sha256:" + "11".repeat(32), 1000);
        Manifest.Artifact initramfs = new Manifest.Artifact("initrd.img", "sha256:" + "22".repeat(32), 2000);
        Manifest.Artifact rootImage = new Manifest.Artifact("root.img", ContentDigest.of(container), container.length);
        Manifest.Artifact squashfs = new Manifest.Artifact(null, "sha256:" + "33".repeat(32), header.plaintextSize());
        Manifest.Encryption encryption = new Manifest.Encryption(header.cipher().displayName(),
                header.cipher().encrypted() ? header.keyIdHex() : null, header.chunkSize(), header.chunkCount(),
                RootImagePin.headerDigest(header), header.cipher().encrypted() ? null : chunkHashes(container, header));
        return new Manifest(Manifest.FORMAT_VERSION, "test", "2025-01-01T00:00:00Z", "debian", "bookworm", "amd64",
                "6.1.0-test", "zstd", kernel, initramfs, rootImage, squashfs, encryption);
    }

    /** The hashes an unencrypted container's chunks carry, as imgutil pins them: each chunk ends with its own. */
    private static String chunkHashes(byte[] container, ImageHeader header) {
        ByteBuffer hashes = ByteBuffer.allocate(Math.toIntExact(header.chunkCount() * ChunkHashes.HASH_LENGTH));
        for (long index = 0; index < header.chunkCount(); index++) {
            var chunk = header.locate(index);
            hashes.put(container, Math.toIntExact(chunk.offset() + chunk.length() - ChunkHashes.HASH_LENGTH),
                    ChunkHashes.HASH_LENGTH);
        }
        return Base64.getEncoder().encodeToString(hashes.array());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
