package dev.tether.dev;

import dev.tether.content.origin.OriginServer;
import dev.tether.contracts.BlobDigest;
import dev.tether.operator.image.BuildResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

/**
 * Developer loop only, off unless {@code -Dtether.e2e.agentOverlay=true}: boots the cached image with this
 * checkout's agent jar, agent launcher and initramfs-tools boot script laid over its initramfs (a second
 * cpio appended to it; the kernel unpacks both, the later file wins), so a change to the node side is
 * tried in a VM in minutes instead of after a 15-minute image build. A real run builds the image with the
 * changed parts instead (they are in the image cache's key).
 */
public final class AgentOverlay {
    static final String PROPERTY = "tether.e2e.agentOverlay";

    private AgentOverlay() {
    }

    public static boolean enabled() {
        return Boolean.getBoolean(PROPERTY);
    }

    /** Uploads the overlaid initramfs to {@code origin} and returns the result that names it. */
    public static BuildResult apply(Path projectDir, ImageCache.CachedImage image, OriginServer origin, String token)
            throws IOException, InterruptedException {
        Path bundle = projectDir.resolve("boot-agent/target/agent-bundle");
        Map<String, Path> files = new LinkedHashMap<>();
        files.put("usr/lib/tether/agent/bin/tether-agent", bundle.resolve("bin/tether-agent"));
        files.put("usr/lib/tether/agent/agent.squashfs", bundle.resolve("agent.squashfs"));
        files.put("scripts/tether", projectDir.resolve("imgutil/src/main/resources/dev/tether/imgutil/initramfs/initramfs-tools/script"));
        // What the hook copies to /usr/lib/tether/bin, for images built before it did; this host's
        // util-linux (Debian bookworm like the image; the libraries are in the initramfs already).
        for (String tool : new String[] {"mount", "umount", "losetup"}) {
            for (String dir : new String[] {"/usr/bin", "/usr/sbin", "/bin", "/sbin"}) {
                Path host = Path.of(dir, tool);
                if (Files.isRegularFile(host) && !files.containsKey("usr/lib/tether/bin/" + tool)) {
                    files.put("usr/lib/tether/bin/" + tool, host);
                }
            }
        }
        var overlay = new ByteArrayOutputStream();
        try (var cpio = new CpioArchiveOutputStream(overlay, CpioConstants.FORMAT_NEW)) {
            // The kernel makes no parent directories for an archive's files: list each (existing ones stay).
            var dirs = new java.util.TreeSet<String>();
            for (String name : files.keySet()) {
                for (int slash = name.indexOf('/'); slash > 0; slash = name.indexOf('/', slash + 1)) {
                    dirs.add(name.substring(0, slash));
                }
            }
            for (String dir : dirs) {
                var entry = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, dir);
                entry.setMode(CpioConstants.C_ISDIR | 0755);
                entry.setTime(0);
                cpio.putArchiveEntry(entry);
                cpio.closeArchiveEntry();
            }
            for (var file : files.entrySet()) {
                byte[] content = Files.readAllBytes(file.getValue());
                var entry = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, file.getKey(), content.length);
                entry.setMode(CpioConstants.C_ISREG | 0755);
                entry.setTime(0);
                cpio.putArchiveEntry(entry);
                cpio.write(content);
                cpio.closeArchiveEntry();
            }
        }
        String initramfsHex = image.result().initramfsDigest().substring("sha256:".length());
        byte[] original = Files.readAllBytes(image.storeDir().resolve("blobs/sha256/" + initramfsHex));
        var combined = new ByteArrayOutputStream();
        combined.write(original);
        // The kernel finds the next archive at a 4-byte boundary after the previous one.
        while (combined.size() % 4 != 0) {
            combined.write(0);
        }
        combined.write(overlay.toByteArray());
        byte[] bytes = combined.toByteArray();
        String hex;
        try {
            hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        var response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + origin.port() + BlobDigest.PATH_PREFIX + hex))
                .header("Authorization", "Bearer " + token)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IOException("uploading the overlaid initramfs: HTTP " + response.statusCode() + " " + response.body());
        }
        System.err.println("[AgentOverlay] DEVELOPER LOOP: booting the cached image with this checkout's agent and boot"
                + " script laid over its initramfs (sha256:" + hex + ")");
        BuildResult r = image.result();
        return new BuildResult(r.digest(), r.kernelVersion(), r.rootImageBytes(), r.squashfsBytes(), r.kernelDigest(),
                "sha256:" + hex, r.rootImageDigest(), r.encrypted(), r.keyId(), r.buildSeconds(), r.error());
    }
}
