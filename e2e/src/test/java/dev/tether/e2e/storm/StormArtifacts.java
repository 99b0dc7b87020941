package dev.tether.e2e.storm;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.ImageCipher;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.ImageOptions;
import dev.tether.image.format.Manifest;
import dev.tether.image.format.RootImagePin;
import dev.tether.image.format.RootImageWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * The published build the storm boots: a kernel, an initramfs and a root image of the sizes of the VM suite's sample
 * build (whose boot the trace recorded), filled with pseudo-random bytes: the servers and the agent's reader move
 * and decrypt bytes without looking at them, and random bytes cannot be compressed on the way. The root image is a
 * real container (imgutil's format, AES-256-GCM, the default chunk size) around a plain "squashfs" of random bytes
 * at least as long as the trace reaches; the manifest is a real one, whose digest names the image.
 *
 * <p>Built once into {@code dir} and reused while the sizes and the chunk size are the same.
 */
public record StormArtifacts(Path kernel, Path initramfs, Path squashfs, Path rootImage, Path manifestFile,
        String imageDigest, String kernelDigest, String initramfsDigest, String rootImageDigest, String squashfsDigest,
        String keyHex, int chunkSize, long chunkCount) {

    /**
     * The sample build's sizes (e2e's VM image: Debian 12, the agent bundle in the initramfs; the initramfs as built
     * on 2026-12-04, with the AOT cache and the agent's runtime squashfs in xz; storms before then had 49,347,925
     * bytes, the build before the AOT cache).
     */
    public static final long KERNEL_BYTES = 8_247_232;
    public static final long INITRAMFS_BYTES = 50_011_377;
    public static final long SQUASHFS_BYTES = 209_301_504;
    private static final ObjectMapper JSON = new ObjectMapper();

    public static StormArtifacts prepare(Path dir, long squashfsAtLeast) throws IOException {
        Files.createDirectories(dir);
        long squashfsBytes = Math.max(SQUASHFS_BYTES, squashfsAtLeast);
        Path done = dir.resolve("artifacts-%d-%d-%d-%d.json".formatted(KERNEL_BYTES, INITRAMFS_BYTES, squashfsBytes,
                ImageHeader.DEFAULT_CHUNK_SIZE));
        if (Files.exists(done)) {
            return JSON.readValue(done.toFile(), StormArtifacts.class);
        }
        Random random = new Random(15);
        Path kernel = fill(dir.resolve("vmlinuz"), KERNEL_BYTES, random);
        Path initramfs = fill(dir.resolve("initrd.img"), INITRAMFS_BYTES, random);
        Path squashfs = fill(dir.resolve("root.sfs"), squashfsBytes, random);
        ImageKey key = ImageKey.generate(new SecureRandom());
        Path rootImage = dir.resolve("root.img");
        ImageHeader header = RootImageWriter.writeFile(squashfs, rootImage, ImageOptions.encrypted(key));
        String kernelDigest = ContentDigest.ofFile(kernel);
        String initramfsDigest = ContentDigest.ofFile(initramfs);
        String rootImageDigest = ContentDigest.ofFile(rootImage);
        String squashfsDigest = ContentDigest.ofFile(squashfs);
        var manifest = new Manifest(Manifest.FORMAT_VERSION, "tether storm benchmark", Instant.now().toString(), "debian",
                "bookworm", "amd64", "6.1.0-57-amd64", "zstd",
                new Manifest.Artifact("vmlinuz", kernelDigest, KERNEL_BYTES),
                new Manifest.Artifact("initrd.img", initramfsDigest, INITRAMFS_BYTES),
                new Manifest.Artifact("root.img", rootImageDigest, Files.size(rootImage)),
                new Manifest.Artifact("root.sfs", squashfsDigest, squashfsBytes),
                new Manifest.Encryption(ImageCipher.AES_256_GCM.displayName(), key.keyIdHex(), header.chunkSize(),
                        header.chunkCount(), RootImagePin.headerDigest(header)));
        byte[] manifestJson = manifest.toJson();
        Path manifestFile = Files.write(dir.resolve(Manifest.FILE_NAME), manifestJson);
        var artifacts = new StormArtifacts(kernel, initramfs, squashfs, rootImage, manifestFile, ContentDigest.of(manifestJson),
                kernelDigest, initramfsDigest, rootImageDigest, squashfsDigest, HexFormat.of().formatHex(key.bytes()),
                header.chunkSize(), header.chunkCount());
        JSON.writeValue(done.toFile(), artifacts);
        return artifacts;
    }

    /** What a cold edge fetches at most once: kernel, initramfs, root image and manifest. */
    public long publishedBytes() throws IOException {
        return Files.size(kernel) + Files.size(initramfs) + Files.size(rootImage) + Files.size(manifestFile);
    }

    /** Uploads every published file to the origin, as the builder Job does. */
    public void upload(String originUrl, String token) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            for (Path file : List.of(kernel, initramfs, rootImage, manifestFile)) {
                String digest = ContentDigest.ofFile(file);
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(originUrl + "/blobs/sha256/"
                                + ContentDigest.hex(digest))).header("Authorization", "Bearer " + token)
                        .PUT(HttpRequest.BodyPublishers.ofFile(file)).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() / 100 != 2) {
                    throw new IOException("uploading " + file + " to the origin failed: " + response.statusCode() + " " + response.body());
                }
            }
        }
    }

    private static Path fill(Path file, long size, Random random) throws IOException {
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= block.length) {
                random.nextBytes(block);
                out.write(block, 0, (int) Math.min(block.length, left));
            }
        }
        return file;
    }
}
