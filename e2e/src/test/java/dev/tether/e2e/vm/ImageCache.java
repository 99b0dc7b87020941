package dev.tether.e2e.vm;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageSpec;
import dev.tether.api.v1alpha1.DisklessImageStatus;
import dev.tether.content.origin.OriginServer;
import dev.tether.content.store.BearerToken;
import dev.tether.operator.OperatorConfig;
import dev.tether.operator.image.BuildJob;
import dev.tether.operator.image.BuildResult;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A Debian bookworm image built by {@code imgutil run-spec} exactly as the operator's builder Job runs it
 * (the command line comes from {@link BuildJob#desired}, with the Job's paths mapped to local ones),
 * published to an origin whose store is kept under {@value #CACHE_ROOT}. The build takes 10-15 minutes
 * here, so the result (origin store + builder result) is cached, keyed by the spec, the builder command and
 * the contents of imgutil.jar and of the agent bundle; a change to any of them builds again.
 *
 * <p>Test-only parts of the spec (named {@code tether-test-*}): root's authorized_keys for the test's SSH
 * key, and sshd making its own host keys at start (the node API's host certificates will replace that).
 */
public final class ImageCache {
    public static final String CACHE_ROOT = "/var/cache/tether-test";
    public static final String IMAGE_NAME = "bookworm-e2e";
    public static final String NAMESPACE = "tether-e2e";
    /** The origin URL the builder command is built with; replaced by the local origin's at run time. */
    private static final String ORIGIN_PLACEHOLDER = "http://tether-origin:8080";
    static final String TOKEN = "e2e-upload-token";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A built, published image: the origin store that holds it and what the builder reported. */
    public record CachedImage(Path storeDir, BuildResult result, DisklessImage image, Path directory) {
        /** The image with the status the operator would give it after this build (what a profile resolves). */
        public DisklessImage published() {
            var status = new DisklessImageStatus();
            var version = new DisklessImageStatus.ImageVersion();
            version.digest = result.digest();
            version.generation = 1L;
            version.kernelVersion = result.kernelVersion();
            version.rootImageBytes = result.rootImageBytes();
            version.encrypted = Boolean.TRUE.equals(result.encrypted());
            version.keyId = result.keyId();
            version.artifacts = new DisklessImageStatus.Artifacts();
            version.artifacts.manifest = blobPath(result.digest());
            version.artifacts.kernel = blobPath(result.kernelDigest());
            version.artifacts.initramfs = blobPath(result.initramfsDigest());
            version.artifacts.rootImage = blobPath(result.rootImageDigest());
            status.versions = new ArrayList<>(List.of(version));
            status.digest = result.digest();
            image.setStatus(status);
            return image;
        }

        public OriginServer startOrigin() throws IOException {
            return OriginServer.start(new OriginServer.Config(storeDir, BearerToken.of(TOKEN),
                    new InetSocketAddress("127.0.0.1", 0), null, dev.tether.content.http.HttpSettings.defaults(), 2));
        }
    }

    private ImageCache() {
    }

    /** The DisklessImage this suite boots (unencrypted until the node API can hand out image keys). */
    public static DisklessImage imageResource(String authorizedKey) {
        var image = new DisklessImage();
        image.getMetadata().setName(IMAGE_NAME);
        image.getMetadata().setNamespace(NAMESPACE);
        var spec = new DisklessImageSpec();
        spec.distribution = dev.tether.api.v1alpha1.Distribution.DEBIAN;
        spec.release = "bookworm";
        spec.packages = new ArrayList<>(List.of("openssh-server", "iproute2", "procps"));
        spec.encryption = DisklessImageSpec.Encryption.DISABLED;
        var keys = new DisklessImageSpec.ImageFile();
        keys.path = "/root/.ssh/authorized_keys";
        keys.content = authorizedKey.strip() + "\n";
        keys.mode = "0600";
        var hostKeys = new DisklessImageSpec.ImageFile();
        hostKeys.path = "/etc/systemd/system/ssh.service.d/tether-test-host-keys.conf";
        hostKeys.content = """
                # tether-test: the image has no host keys (imgutil removes them); make them at start.
                [Service]
                ExecStartPre=
                ExecStartPre=/usr/bin/ssh-keygen -A
                ExecStartPre=/usr/sbin/sshd -t
                """;
        spec.files = new ArrayList<>(List.of(keys, hostKeys));
        spec.steps = new ArrayList<>(List.of(new DisklessImageSpec.Step("enable-sshd", "systemctl enable ssh")));
        image.setSpec(spec);
        return image;
    }

    /** The image, built now if this machine has no cached build of the same inputs. Skips without root. */
    @SuppressWarnings("try")
    public static CachedImage get(Path projectDir, String authorizedKey) throws Exception {
        assumeTrue(isRoot(), "SKIPPED: building the VM image needs root (debootstrap, namespaces, mounts)");
        for (String tool : List.of("debootstrap", "unshare", "mksquashfs", "cpio")) {
            assumeTrue(onPath(tool), "SKIPPED: building the VM image needs " + tool + " on the PATH");
        }
        Path imgutilJar = projectDir.resolve("imgutil/target/imgutil.jar");
        Path agentBundle = projectDir.resolve("boot-agent/target/agent-bundle");
        assumeTrue(Files.isRegularFile(imgutilJar), "SKIPPED: no " + imgutilJar + "; build with ./mvnw -pl e2e -am verify");
        assumeTrue(Files.isExecutable(agentBundle.resolve("bin/tether-agent")),
                "SKIPPED: no agent bundle in " + agentBundle + "; build with ./mvnw -pl e2e -am verify");

        DisklessImage image = imageResource(authorizedKey);
        var specMap = BuildJob.specConfigMap(image, 1);
        String specJson = specMap.getData().get("spec.json");
        var config = OperatorConfig.of("builder", "content-server", ORIGIN_PLACEHOLDER, NAMESPACE);
        List<String> jobCommand = BuildJob.desired(image, 1, null, config)
                .getSpec().getTemplate().getSpec().getContainers().getFirst().getCommand();

        String key = key(specJson, jobCommand, imgutilJar, agentBundle);
        Path entry = Path.of(CACHE_ROOT, "e2e-image-" + key);
        if (AgentOverlay.enabled() && !Files.exists(entry.resolve("result.json"))) {
            // The developer loop lays this checkout's agent over any earlier build of the same spec.
            Optional<Path> earlier = latestBuildOf(specJson);
            if (earlier.isPresent()) {
                entry = earlier.get();
            }
        }
        Path complete = entry.resolve("result.json");
        Files.createDirectories(entry.getParent());
        try (FileChannel lockFile = FileChannel.open(Path.of(entry + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockFile.lock()) {
            if (!Files.exists(complete)) {
                build(entry, specJson, jobCommand, imgutilJar, agentBundle);
            } else {
                System.err.println("[ImageCache] using the cached image build " + entry);
            }
        }
        BuildResult result = BuildResult.parse(Files.readString(complete))
                .orElseThrow(() -> new IOException("no builder result in " + complete));
        if (result.problem().isPresent()) {
            throw new IOException("the cached build in " + entry + " failed: " + result.problem().get());
        }
        return new CachedImage(entry.resolve("store"), result, image, entry);
    }

    /** The most recent complete build whose spec is {@code specJson}. */
    private static Optional<Path> latestBuildOf(String specJson) throws IOException {
        try (Stream<Path> entries = Files.list(Path.of(CACHE_ROOT))) {
            return entries.filter(e -> e.getFileName().toString().startsWith("e2e-image-") && Files.isDirectory(e))
                    .filter(e -> Files.exists(e.resolve("result.json")))
                    .filter(e -> {
                        try {
                            return specJson.equals(Files.readString(e.resolve("spec/spec.json")));
                        } catch (IOException ex) {
                            return false;
                        }
                    })
                    .max(java.util.Comparator.comparing(e -> e.resolve("result.json").toFile().lastModified()));
        }
    }

    private static void build(Path entry, String specJson, List<String> jobCommand, Path imgutilJar, Path agentBundle)
            throws Exception {
        removeTree(entry);
        Files.createDirectories(entry);
        Path spec = entry.resolve("spec/spec.json");
        Path token = entry.resolve("origin-token/token");
        Path work = entry.resolve("work");
        Path out = entry.resolve("out");
        Path resultFile = entry.resolve("termination-log");
        Files.createDirectories(spec.getParent());
        Files.createDirectories(token.getParent());
        Files.writeString(spec, specJson);
        Files.writeString(token, TOKEN + "\n");
        Files.createDirectories(entry.resolve("store"));
        System.err.println("[ImageCache] building the VM image in " + entry + " with imgutil run-spec (10-15 minutes here)");
        long started = System.nanoTime();
        var cached = new CachedImage(entry.resolve("store"), null, null, entry);
        try (OriginServer origin = cached.startOrigin()) {
            // The builder Job's command, its container paths mapped to this machine's.
            Map<String, String> paths = Map.of(
                    "/etc/tether/spec/spec.json", spec.toString(),
                    "/opt/tether/agent", agentBundle.toString(),
                    "/work/root", work.toString(),
                    "/work/out", out.toString(),
                    "/dev/termination-log", resultFile.toString(),
                    ORIGIN_PLACEHOLDER, "http://127.0.0.1:" + origin.port(),
                    "/etc/tether/origin-token/" + OperatorConfig.ORIGIN_TOKEN_KEY, token.toString());
            List<String> command = new ArrayList<>(List.of(javaBinary(), "-jar", imgutilJar.toString()));
            for (String arg : jobCommand.subList(1, jobCommand.size())) {
                command.add(paths.getOrDefault(arg, arg));
            }
            System.err.println("[ImageCache] " + String.join(" ", command));
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(entry.resolve("build.log").toFile()))
                    .start();
            int status = process.waitFor();
            String message = Files.exists(resultFile) ? Files.readString(resultFile).strip() : "";
            if (status != 0 || BuildResult.parse(message).flatMap(BuildResult::problem).isPresent()) {
                throw new IOException("imgutil run-spec failed with status " + status + ": " + message
                        + " (log: " + entry.resolve("build.log") + ")");
            }
            Files.writeString(entry.resolve("result.json"), message + "\n");
        }
        removeTree(work);
        System.err.printf("[ImageCache] built and published in %ds%n", Duration.ofNanos(System.nanoTime() - started).toSeconds());
    }

    /** Content hashes, so a rebuilt but unchanged jar (new timestamps, new CDS archive) keeps the cache. */
    static String key(String specJson, List<String> jobCommand, Path imgutilJar, Path agentBundle) throws IOException {
        MessageDigest sha = sha256();
        update(sha, "recipe 1\n" + specJson + "\n" + String.join(" ", jobCommand) + "\n");
        update(sha, "imgutil " + jarContentHash(imgutilJar) + "\n");
        var files = new TreeMap<String, String>();
        try (Stream<Path> walk = Files.walk(agentBundle)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                String name = agentBundle.relativize(file).toString();
                if (name.endsWith(".jsa")) {
                    continue;
                }
                files.put(name, name.endsWith(".jar") ? jarContentHash(file) : HexFormat.of().formatHex(sha256().digest(Files.readAllBytes(file))));
            }
        }
        files.forEach((name, hash) -> update(sha, name + " " + hash + "\n"));
        return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    }

    private static String jarContentHash(Path jar) throws IOException {
        MessageDigest sha = sha256();
        var entries = new TreeMap<String, String>();
        try (InputStream in = Files.newInputStream(jar); ZipInputStream zip = new ZipInputStream(in)) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                if (!e.isDirectory() && !e.getName().equals("META-INF/MANIFEST.MF") && !e.getName().endsWith("pom.properties")) {
                    entries.put(e.getName(), HexFormat.of().formatHex(sha256().digest(zip.readAllBytes())));
                }
            }
        }
        entries.forEach((name, hash) -> update(sha, name + " " + hash + "\n"));
        return HexFormat.of().formatHex(sha.digest());
    }

    private static void update(MessageDigest sha, String text) {
        sha.update(text.getBytes(StandardCharsets.UTF_8));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String blobPath(String digest) {
        return "/blobs/sha256/" + digest.substring("sha256:".length());
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static boolean isRoot() {
        try {
            return "0".equals(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).strip());
        } catch (IOException e) {
            return false;
        }
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    static void removeTree(Path dir) throws IOException, InterruptedException {
        if (Files.exists(dir)) {
            Process rm = new ProcessBuilder("rm", "-rf", "--one-file-system", dir.toString()).inheritIO().start();
            if (rm.waitFor() != 0) {
                throw new IOException("cannot remove " + dir);
            }
        }
    }
}
