package dev.tether.dev;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageSpec;
import dev.tether.api.v1alpha1.DisklessImageStatus;
import dev.tether.content.origin.OriginServer;
import dev.tether.content.store.BearerToken;
import dev.tether.contracts.BlobDigest;
import dev.tether.operator.OperatorConfig;
import dev.tether.operator.image.BuildJob;
import dev.tether.operator.image.BuildResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p>An image from an OCI registry ({@code distribution: oci}, {@link #get(Path, DisklessImage, OciSource)}) is built and
 * cached the same way, apart ({@code e2e-oci-image-*}), keyed by the digest of the manifest it names rather than by the
 * registry's address.
 *
 * <p>The image is encrypted with a key made for the build and kept next to it ({@value #IMAGE_KEY_FILE}); the
 * test gives it to the operator as the image's key Secret, which the operator keeps rather than making a new
 * one, so a cached build can be published again.
 */
public final class ImageCache {
    public static final String CACHE_ROOT = "/var/cache/tether-test";
    public static final String IMAGE_NAME = "bookworm-e2e";
    public static final String NAMESPACE = "tether-e2e";
    /** The origin URL the builder command is built with; replaced by the local origin's at run time. */
    private static final String ORIGIN_PLACEHOLDER = "http://tether-origin:8080";
    public static final String TOKEN = "e2e-upload-token";
    /** The build's image key (32 raw bytes, as the key Secret mounted into the builder holds it). */
    static final String IMAGE_KEY_FILE = "image.key";
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Shared locks on the {@code .inuse} file of each cached build this JVM serves from, held until it exits: another
     * process's pruning skips a build it cannot lock exclusively, so it never removes a store a running test reads.
     */
    private static final Map<Path, FileLock> IN_USE = new ConcurrentHashMap<>();
    /** {@link #squashfsContentHash}'s answers, by the file's path, identity, size and modification time. */
    private static final Map<String, String> SQUASHFS_HASHES = new ConcurrentHashMap<>();

    /** A built, published image: the origin store that holds it and what the builder reported. */
    public record CachedImage(Path storeDir, BuildResult result, DisklessImage image, Path directory) {
        /** The key the image was encrypted with (what the operator's key Secret for generation 1 must hold). */
        public byte[] imageKey() throws IOException {
            return Files.readAllBytes(directory.resolve(IMAGE_KEY_FILE));
        }

        public OriginServer startOrigin() throws IOException {
            return OriginServer.start(new OriginServer.Config(storeDir, BearerToken.of(TOKEN),
                    new InetSocketAddress("127.0.0.1", 0), null, dev.tether.content.http.HttpSettings.defaults(), 2));
        }
    }

    /**
     * What the build of an image with {@code distribution: oci} reads besides its spec.
     *
     * @param registryAddress the registry's {@code host:port} in the spec's reference: a test's registry listens on a
     *        new port each run, so the address is left out of the cache key
     * @param manifestDigest the digest of the manifest the reference names now, which is in the key instead
     * @param pullSecretDir the image's pull Secret as the builder Job mounts it (its {@code .dockerconfigjson})
     */
    public record OciSource(String registryAddress, String manifestDigest, Path pullSecretDir) {
    }

    /**
     * What one image's build is made of: the spec file and the builder command the operator gives generation 1,
     * what its cache key is computed from, where its cached builds are kept, and the files mounted into the
     * builder beyond those of every build (Job path to local path).
     */
    private record Recipe(DisklessImage image, String specJson, String keyedSpec, List<String> jobCommand, String prefix,
            Map<String, String> mounts) {
        static Recipe of(DisklessImage image, OciSource oci) {
            String specJson = ImageCache.specJson(image);
            List<String> jobCommand = builderCommand(image, ORIGIN_PLACEHOLDER);
            if (oci == null) {
                return new Recipe(image, specJson, specJson, jobCommand, "e2e-image-", Map.of());
            }
            return new Recipe(image, specJson, specJson.replace(oci.registryAddress(), "REGISTRY") + "\nsource "
                    + oci.manifestDigest(), jobCommand, "e2e-oci-image-", Map.of(BuildJob.PULL_SECRET_DIR, oci.pullSecretDir().toString()));
        }
    }

    private ImageCache() {
    }

    /**
     * The DisklessImage this suite boots: encrypted (the default), with sshd enabled and D-Bus (so systemd-logind runs and
     * shuts the node down on the ACPI power button a BMC presses). Nothing test-only: root's SSH key comes from the
     * NodeProfile and sshd's host keys from the agent at every boot.
     */
    public static DisklessImage imageResource() {
        var image = new DisklessImage();
        image.getMetadata().setName(IMAGE_NAME);
        image.getMetadata().setNamespace(NAMESPACE);
        var spec = new DisklessImageSpec();
        spec.distribution = dev.tether.api.v1alpha1.Distribution.DEBIAN;
        spec.release = "bookworm";
        // dbus: without it systemd-logind does not start, and nothing acts on the power button (a BMC's graceful power-off).
        spec.packages = new ArrayList<>(List.of("openssh-server", "iproute2", "procps", "dbus"));
        spec.steps = new ArrayList<>(List.of(new DisklessImageSpec.Step("enable-sshd", "systemctl enable ssh")));
        image.setSpec(spec);
        return image;
    }

    /** The image, built now if this machine has no cached build of the same inputs. Skips without root. */
    public static CachedImage get(Path projectDir) throws Exception {
        return get(projectDir, Recipe.of(imageResource(), null));
    }

    /**
     * {@code image} (generation 1, {@code distribution: oci}) built from {@code source} as the builder Job builds it,
     * or its cached build; cached apart from {@link #get(Path)}'s image, so neither's builds prune the other's.
     */
    public static CachedImage get(Path projectDir, DisklessImage image, OciSource source) throws Exception {
        return get(projectDir, Recipe.of(image, java.util.Objects.requireNonNull(source)));
    }

    @SuppressWarnings("try")
    private static CachedImage get(Path projectDir, Recipe recipe) throws Exception {
        MissingPrerequisite.require(isRoot(), "building the VM image needs root (debootstrap, namespaces, mounts)");
        for (String tool : List.of("debootstrap", "unshare", "mksquashfs", "cpio")) {
            MissingPrerequisite.require(onPath(tool), "building the VM image needs " + tool + " on the PATH");
        }
        Path imgutilJar = projectDir.resolve("imgutil/target/imgutil.jar");
        Path agentBundle = projectDir.resolve("boot-agent/target/agent-bundle");
        MissingPrerequisite.require(Files.isRegularFile(imgutilJar), "no " + imgutilJar + "; build with ./mvnw -pl e2e -am verify");
        MissingPrerequisite.require(Files.isExecutable(agentBundle.resolve("bin/tether-agent")),
                "no agent bundle in " + agentBundle + "; build with ./mvnw -pl e2e -am verify");

        Path entry = entry(recipe, imgutilJar, agentBundle);
        Path complete = entry.resolve("result.json");
        Files.createDirectories(entry.getParent());
        try (FileChannel lockFile = FileChannel.open(Path.of(entry + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockFile.lock()) {
            if (!Files.exists(complete)) {
                build(entry, recipe, imgutilJar, agentBundle);
            } else {
                System.err.println("[ImageCache] using the cached image build " + entry);
            }
        }
        holdInUse(entry);
        BuildResult result = BuildResult.parse(Files.readString(complete))
                .orElseThrow(() -> new IOException("no builder result in " + complete));
        if (result.problem().isPresent()) {
            throw new IOException("the cached build in " + entry + " failed: " + result.problem().get());
        }
        return new CachedImage(entry.resolve("store"), result, recipe.image(), entry);
    }

    /** True when {@link #get} would find a finished build and not build (it would build without the inputs). */
    public static boolean isBuilt(Path projectDir) throws IOException, InterruptedException {
        Path imgutilJar = projectDir.resolve("imgutil/target/imgutil.jar");
        Path agentBundle = projectDir.resolve("boot-agent/target/agent-bundle");
        if (!Files.isRegularFile(imgutilJar) || !Files.isDirectory(agentBundle)) {
            return false;
        }
        return Files.exists(entry(Recipe.of(imageResource(), null), imgutilJar, agentBundle).resolve("result.json"));
    }

    /** Where the build of these inputs is cached (or, with the agent overlay, an earlier build of the spec). */
    private static Path entry(Recipe recipe, Path imgutilJar, Path agentBundle) throws IOException, InterruptedException {
        Path entry = Path.of(CACHE_ROOT, recipe.prefix() + key(recipe.keyedSpec(), recipe.jobCommand(), imgutilJar, agentBundle));
        if (AgentOverlay.enabled() && !Files.exists(entry.resolve("result.json"))) {
            // The developer loop lays this checkout's agent over any earlier build of the same spec.
            Optional<Path> earlier = latestBuildOf(recipe.prefix(), recipe.specJson());
            if (earlier.isPresent()) {
                return earlier.get();
            }
        }
        return entry;
    }

    /** The spec file the operator's builder Job mounts, for generation 1. */
    static String specJson(DisklessImage image) {
        return BuildJob.specConfigMap(image, 1).getData().get("spec.json");
    }

    /** The builder container's command the operator gives generation 1 of {@code image}. */
    static List<String> builderCommand(DisklessImage image, String originUrl) {
        var config = OperatorConfig.of("builder", "content-server", originUrl, NAMESPACE);
        String keySecret = dev.tether.operator.Names.imageKeySecret(image.getMetadata().getName(), 1);
        return BuildJob.desired(image, 1, keySecret, config).getSpec().getTemplate().getSpec().getContainers().getFirst().getCommand();
    }

    /** The most recent complete build whose spec is {@code specJson}. */
    private static Optional<Path> latestBuildOf(String prefix, String specJson) throws IOException {
        try (Stream<Path> entries = Files.list(Path.of(CACHE_ROOT))) {
            return entries.filter(e -> e.getFileName().toString().startsWith(prefix) && Files.isDirectory(e))
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

    private static void build(Path entry, Recipe recipe, Path imgutilJar, Path agentBundle) throws Exception {
        removeTree(entry);
        Files.createDirectories(entry);
        Path spec = entry.resolve("spec/spec.json");
        Path token = entry.resolve("origin-token/token");
        Path work = entry.resolve("work");
        Path out = entry.resolve("out");
        Path resultFile = entry.resolve("termination-log");
        Path imageKey = entry.resolve(IMAGE_KEY_FILE);
        byte[] keyBytes = new byte[32];
        new java.security.SecureRandom().nextBytes(keyBytes);
        Files.write(imageKey, keyBytes);
        Files.createDirectories(spec.getParent());
        Files.createDirectories(token.getParent());
        Files.writeString(spec, recipe.specJson());
        Files.writeString(token, TOKEN + "\n");
        Files.createDirectories(entry.resolve("store"));
        System.err.println("[ImageCache] building the VM image in " + entry + " with imgutil run-spec (10-15 minutes here)");
        long started = System.nanoTime();
        var cached = new CachedImage(entry.resolve("store"), null, null, entry);
        try (OriginServer origin = cached.startOrigin()) {
            // The builder Job's command, its container paths mapped to this machine's.
            Map<String, String> paths = new java.util.HashMap<>(Map.of(
                    "/etc/tether/spec/spec.json", spec.toString(),
                    "/opt/tether/agent", agentBundle.toString(),
                    "/work/root", work.toString(),
                    "/work/out", out.toString(),
                    "/dev/termination-log", resultFile.toString(),
                    ORIGIN_PLACEHOLDER, "http://127.0.0.1:" + origin.port(),
                    "/etc/tether/upload-grant/" + OperatorConfig.ORIGIN_TOKEN_KEY, token.toString(),
                    "/etc/tether/key/" + dev.tether.operator.image.ImageKeySecret.KEY, imageKey.toString()));
            paths.putAll(recipe.mounts());
            List<String> command = new ArrayList<>(List.of(javaBinary(), "-jar", imgutilJar.toString()));
            List<String> jobCommand = recipe.jobCommand();
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
        pruneOlderBuilds(Path.of(CACHE_ROOT), entry);
    }

    /**
     * Builds {@code base}'s spec once more as the operator's re-pack Job does ({@code jobCommand}, which names
     * {@code --boot-order}), with the boot order {@code bootOrder}, the same image key (the re-pack is of the same
     * generation, whose key Secret holds it), publishing to {@code originUrl}. Not cached: the order is a boot's.
     */
    public static BuildResult repack(Path projectDir, CachedImage base, List<String> jobCommand, Path bootOrder, String originUrl)
            throws Exception {
        Path imgutilJar = projectDir.resolve("imgutil/target/imgutil.jar");
        Path agentBundle = projectDir.resolve("boot-agent/target/agent-bundle");
        Path entry = Path.of(CACHE_ROOT, "e2e-repack-work");
        removeTree(entry);
        Path spec = entry.resolve("spec/spec.json");
        Path token = entry.resolve("origin-token/token");
        Path resultFile = entry.resolve("termination-log");
        Files.createDirectories(spec.getParent());
        Files.createDirectories(token.getParent());
        Files.writeString(spec, specJson(base.image()));
        Files.writeString(token, TOKEN + "\n");
        Map<String, String> paths = Map.of(
                "/etc/tether/spec/spec.json", spec.toString(),
                "/opt/tether/agent", agentBundle.toString(),
                "/work/root", entry.resolve("work").toString(),
                "/work/out", entry.resolve("out").toString(),
                "/dev/termination-log", resultFile.toString(),
                "/etc/tether/upload-grant/" + OperatorConfig.ORIGIN_TOKEN_KEY, token.toString(),
                "/etc/tether/key/" + dev.tether.operator.image.ImageKeySecret.KEY, base.directory().resolve(IMAGE_KEY_FILE).toString(),
                "/etc/tether/boot-order/files", bootOrder.toString());
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-jar", imgutilJar.toString()));
        List<String> args = jobCommand.subList(1, jobCommand.size());
        for (int i = 0; i < args.size(); i++) {
            // The Job's origin is the cluster's Service; here it is the test's origin.
            command.add(i > 0 && args.get(i - 1).equals("--origin") ? originUrl : paths.getOrDefault(args.get(i), args.get(i)));
        }
        System.err.println("[ImageCache] re-packing with the boot order " + bootOrder + ": " + String.join(" ", command));
        long started = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(entry.resolve("build.log").toFile())).start();
        int status = process.waitFor();
        String message = Files.exists(resultFile) ? Files.readString(resultFile).strip() : "";
        if (status != 0 || BuildResult.parse(message).flatMap(BuildResult::problem).isPresent()) {
            throw new IOException("imgutil run-spec (re-pack) failed with status " + status + ": " + message
                    + " (log: " + entry.resolve("build.log") + ")");
        }
        System.err.printf("[ImageCache] re-packed and published in %ds%n", Duration.ofNanos(System.nanoTime() - started).toSeconds());
        removeTree(entry.resolve("work"));
        return BuildResult.parse(message).orElseThrow();
    }

    /** Marks {@code entry} as in use by this JVM until it exits (see {@link #IN_USE}). */
    private static void holdInUse(Path entry) throws IOException {
        try {
            IN_USE.computeIfAbsent(entry, e -> {
                try {
                    return inUseFile(e).lock(0, Long.MAX_VALUE, true);
                } catch (IOException failed) {
                    throw new UncheckedIOException(failed);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static FileChannel inUseFile(Path entry) throws IOException {
        return FileChannel.open(Path.of(entry + ".inuse"), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /**
     * Keeps this build and the newest earlier one (the agent overlay loop may want it); each is 0.6-1 GB. A build
     * another process serves from (a test running in another checkout) is left alone.
     */
    static void pruneOlderBuilds(Path cacheRoot, Path keep) throws IOException, InterruptedException {
        // Only builds of the same kind as keep's (e2e-image-KEY or e2e-oci-image-KEY): one kind's never prunes the other's.
        String name = keep.getFileName().toString();
        String prefix = name.substring(0, name.lastIndexOf('-') + 1);
        List<Path> older;
        try (Stream<Path> entries = Files.list(cacheRoot)) {
            older = entries.filter(e -> e.getFileName().toString().startsWith(prefix) && Files.isDirectory(e) && !e.equals(keep))
                    .sorted(java.util.Comparator.comparing((Path e) -> e.toFile().lastModified()).reversed())
                    .toList();
        }
        for (Path old : older.subList(Math.min(1, older.size()), older.size())) {
            if (IN_USE.containsKey(old)) {
                continue;
            }
            try (FileChannel inUse = inUseFile(old); FileLock unused = inUse.tryLock()) {
                if (unused == null) {
                    System.err.println("[ImageCache] keeping the older build " + old + ": another test serves from it");
                    continue;
                }
                System.err.println("[ImageCache] removing the older build " + old);
                removeTree(old);
                Files.deleteIfExists(Path.of(old + ".lock"));
                Files.deleteIfExists(Path.of(old + ".inuse"));
            }
        }
    }

    /** Content hashes, so a rebuilt but unchanged bundle (new timestamps, a new AOT cache) keeps the cache. */
    static String key(String specJson, List<String> jobCommand, Path imgutilJar, Path agentBundle)
            throws IOException, InterruptedException {
        MessageDigest sha = sha256();
        update(sha, "recipe 2\n" + specJson + "\n" + String.join(" ", jobCommand) + "\n");
        update(sha, "imgutil " + jarContentHash(imgutilJar) + "\n");
        update(sha, "agent " + treeHash(agentBundle) + "\n");
        return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    }

    /**
     * Each file under {@code root} by what is in it ({@link #contentHash}), symbolic links by their targets, without the
     * JVM's class-data archives (a CDS {@code .jsa}, the AOT cache's {@code .aot}): a training run makes them, never
     * the same bytes twice, from the jar, the runtime and the launcher's options, which are hashed.
     */
    private static String treeHash(Path root) throws IOException, InterruptedException {
        var entries = new TreeMap<String, String>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path file : walk.toList()) {
                String name = root.relativize(file).toString();
                if (Files.isSymbolicLink(file)) {
                    entries.put(name, "-> " + Files.readSymbolicLink(file));
                } else if (Files.isRegularFile(file) && !name.endsWith(".jsa") && !name.endsWith(".aot")) {
                    entries.put(name, contentHash(file));
                }
            }
        }
        MessageDigest sha = sha256();
        entries.forEach((name, hash) -> update(sha, name + " " + hash + "\n"));
        return HexFormat.of().formatHex(sha.digest());
    }

    /** A jar by its entries and a squashfs by its files (their timestamps left out), any other file by its bytes. */
    private static String contentHash(Path file) throws IOException, InterruptedException {
        String name = file.getFileName().toString();
        if (name.endsWith(".jar")) {
            return jarContentHash(file);
        }
        if (name.endsWith(".squashfs")) {
            return squashfsContentHash(file);
        }
        MessageDigest sha = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /**
     * The files in a squashfs (the agent's runtime), as {@link #treeHash} hashes a tree. Hashed as bytes, the runtime's
     * AOT cache and timestamps made every rebuild of the bundle a new image build. Unpacked once per file and JVM: the
     * VM suite asks for the key before each of its tests.
     */
    static String squashfsContentHash(Path squashfs) throws IOException, InterruptedException {
        BasicFileAttributes a = Files.readAttributes(squashfs, BasicFileAttributes.class);
        String stamp = squashfs.toRealPath() + " " + a.fileKey() + " " + a.size() + " " + a.lastModifiedTime().toMillis();
        String known = SQUASHFS_HASHES.get(stamp);
        if (known != null) {
            return known;
        }
        Path tree = Files.createTempDirectory("tether-bundle-key-");
        try {
            Path root = tree.resolve("root");
            Commands.run(List.of("unsquashfs", "-no-progress", "-quiet", "-d", root.toString(), squashfs.toString()),
                    Commands.PATIENCE);
            String hash = treeHash(root);
            SQUASHFS_HASHES.put(stamp, hash);
            return hash;
        } finally {
            Commands.run(List.of("rm", "-rf", tree.toString()), Commands.PATIENCE);
        }
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

    public static String blobPath(String digest) {
        return BlobDigest.parse(digest).path();
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public static boolean isRoot() {
        try {
            return "0".equals(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).strip());
        } catch (IOException e) {
            return false;
        }
    }

    public static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    public static void removeTree(Path dir) throws IOException, InterruptedException {
        if (Files.exists(dir)) {
            Process rm = new ProcessBuilder("rm", "-rf", "--one-file-system", dir.toString()).inheritIO().start();
            if (rm.waitFor() != 0) {
                throw new IOException("cannot remove " + dir);
            }
        }
    }
}
