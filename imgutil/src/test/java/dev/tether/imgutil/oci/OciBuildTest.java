package dev.tether.imgutil.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.FileChunkSource;
import dev.tether.image.format.Manifest;
import dev.tether.image.format.RootImageReader;
import dev.tether.imgutil.cli.CliRun;
import dev.tether.imgutil.fixture.DebianOciImage;
import dev.tether.imgutil.fixture.DebianTreeFixture;
import dev.tether.imgutil.fixture.LocalRegistry;
import dev.tether.imgutil.pack.KeyFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images from OCI images, with the real tools: a Debian image made with umoci from the cached debootstrap
 * tree, with later layers that delete files (whiteouts), replace a directory (opaque), change a file, and
 * add hard links, foreign ownership, an xattr and a device node; pushed with skopeo to Debian's
 * docker-registry on loopback, which wants a password. Then built as the builder Job builds it (run-spec
 * with the pull Secret mounted), packed, opened and mounted; and built from the layout directory.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OciBuildTest {
    static final String REPOSITORY = "tether/debian";

    @TempDir
    static Path work;

    static Path layout;
    static LocalRegistry registry;
    static String registryAddress;
    static Path pullSecret;
    /** The digest of the pushed image's manifest, as the registry serves it. */
    static String pushedDigest;

    @BeforeAll
    static void pushALayeredDebianImage() throws Exception {
        DebianTreeFixture.assumeBuildable();
        LocalRegistry.assumeToolsInstalled();
        // Layers 1 and 2: the cached Debian tree, then whiteouts of a file and a whole directory.
        layout = work.resolve("layout");
        String image = DebianOciImage.make(layout, "test");
        Path base = DebianTreeFixture.cachedTree();
        // Layer 3 replaces /etc/skel with one file: an opaque directory.
        Path skel = Files.createDirectories(work.resolve("skel"));
        Files.writeString(skel.resolve("only-this"), "layer 3\n");
        run("umoci", "insert", "--image", image, "--opaque", skel.toString(), "/etc/skel");
        // Layer 4 adds what a tar applier gets wrong, and changes a file of layer 1.
        Path extra = Files.createDirectories(work.resolve("extra"));
        Files.writeString(extra.resolve("a"), "linked\n");
        Files.createLink(extra.resolve("b"), extra.resolve("a"));
        Files.getFileAttributeView(extra.resolve("a"), UserDefinedFileAttributeView.class)
                .write("tether", ByteBuffer.wrap("layer-4".getBytes(StandardCharsets.UTF_8)));
        Files.writeString(extra.resolve("owned"), "not root's\n");
        Files.setPosixFilePermissions(extra.resolve("owned"), PosixFilePermissions.fromString("rw-r-----"));
        run("chown", "1234:5678", extra.resolve("owned").toString());
        run("mknod", extra.resolve("null").toString(), "c", "1", "3");
        run("umoci", "insert", "--image", image, extra.toString(), "/opt/tether-test");
        // MODULES=most makes update-initramfs take minutes on a small machine; see PackTest.
        Path conf = work.resolve("initramfs.conf");
        Files.writeString(conf, Files.readString(base.resolve("etc/initramfs-tools/initramfs.conf"))
                .replace("\nMODULES=most\n", "\nMODULES=list\n"));
        run("umoci", "insert", "--image", image, conf.toString(), "/etc/initramfs-tools/initramfs.conf");

        registry = LocalRegistry.start(work.resolve("registry"));
        registryAddress = registry.address();
        String reference = registry.push("oci:" + image, REPOSITORY + ":test");
        pullSecret = registry.pullSecretDir();
        pushedDigest = registry.manifestDigest(reference);
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    @Order(1)
    void theBuilderJobBuildsPacksAndReportsTheImageFromThePasswordProtectedRegistry() throws Exception {
        Path spec = Files.writeString(work.resolve("spec.json"), """
                {"distribution":"oci","source":{"image":"%s/%s:test","pullSecret":"regcred","insecure":true},
                 "steps":[{"name":"mark","run":"echo built-by-step > /etc/tether-step"}],
                 "compression":"zstd","encryption":"enabled","chunkSize":"1Mi"}
                """.formatted(registryAddress, REPOSITORY));
        Path result = work.resolve("termination-log");
        Path out = work.resolve("out");
        Path key = work.resolve("key");

        CliRun run = CliRun.of("run-spec", spec.toString(), "--work", work.resolve("job").toString(), "--out",
                out.toString(), "--key-file", key.toString(), "--result-file", result.toString(),
                "--pull-secret", pullSecret.toString());

        System.err.print(run.err());
        assertThat(run.status()).as(run.errorLine()).isZero();
        assertThat(run.err()).doesNotContain(LocalRegistry.PASSWORD);
        JsonNode line = new ObjectMapper().readTree(Files.readString(result));
        assertThat(line.get("sourceDigest").asText()).isEqualTo(pushedDigest);
        assertThat(line.get("digest").asText()).isEqualTo(ContentDigest.ofFile(out.resolve("manifest.json")));
        Manifest manifest = Manifest.read(out.resolve("manifest.json"));
        assertThat(manifest.distribution()).as("from the image's os-release").isEqualTo("debian");
        assertThat(manifest.release()).isEqualTo("bookworm");
        try (Stream<Path> left = Files.list(work.resolve("job"))) {
            assertThat(left.map(path -> path.getFileName().toString()))
                    .as("no layout or credentials file left behind").noneMatch(name -> name.contains("oci-layout")
                            || name.contains("pull-secret"));
        }

        Path tree = work.resolve("job/rootfs");
        assertLayersApplied(tree);
        assertThat(tree.resolve("etc/tether-step")).hasContent("built-by-step");
        assertThat(tree.resolve("etc/initramfs-tools/hooks/tether")).isExecutable();

        assumeTrue(Files.exists(Path.of("/dev/loop-control")), "SKIPPED: no loop devices (/dev/loop-control)");
        Path squashfs = work.resolve("opened.squashfs");
        try (RootImageReader reader = RootImageReader.open(FileChunkSource.open(out.resolve("root.img")), KeyFile.read(key));
             FileChannel target = FileChannel.open(squashfs, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            reader.transferTo(target);
        }
        Path mountPoint = Files.createDirectories(work.resolve("mnt"));
        run("mount", "-t", "squashfs", "-o", "loop,ro", squashfs.toString(), mountPoint.toString());
        try {
            assertLayersApplied(mountPoint);
            assertThat(mountPoint.resolve("etc/tether-step")).hasContent("built-by-step");
        } finally {
            run("umount", mountPoint.toString());
        }
    }

    @Test
    @Order(2)
    void buildFromTheLayoutDirectoryPrintsTheManifestDigest() throws Exception {
        Path tree = work.resolve("from-layout");
        CliRun run = CliRun.of("build", tree.toString(), "--distro", "oci", "--from", "oci:" + layout + ":test");
        System.err.print(run.err());
        assertThat(run.status()).as(run.errorLine()).isZero();
        assertThat(run.out().strip()).as("the layout holds the manifest that was pushed").isEqualTo(pushedDigest);
        assertLayersApplied(tree);
        run("rm", "-rf", "--one-file-system", tree.toString());
    }

    @Test
    @Order(3)
    void withoutThePullSecretTheRegistrysRefusalSaysWhatToGive() {
        CliRun run = CliRun.of("build", work.resolve("refused").toString(), "--distro", "oci", "--insecure-registry",
                "--from", registryAddress + "/" + REPOSITORY + ":test");
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.errorLine()).contains("reading the manifest of " + registryAddress + "/" + REPOSITORY + ":test failed",
                "authentication required", "the registry wants credentials", "--pull-secret");
        assertThat(work.resolve("refused")).doesNotExist();
    }

    @Test
    @Order(4)
    void anImageWithoutKernelOrPackageManagerIsRefusedNamingWhatIsMissingFromARegistryOrAnArchive() throws Exception {
        Path tiny = Files.createDirectories(work.resolve("tiny/etc"));
        Files.writeString(tiny.resolve("os-release"), "ID=scratchy\nNAME=\"Scratchy\"\n");
        Path tinyLayout = work.resolve("tiny-layout");
        run("umoci", "init", "--layout", tinyLayout.toString());
        run("umoci", "new", "--image", tinyLayout + ":t");
        run("umoci", "insert", "--image", tinyLayout + ":t", tiny.toString(), "/etc");
        registry.push("oci:" + tinyLayout + ":t", "tether/tiny:t");

        Path ociArchive = work.resolve("tiny-oci.tar");
        Path dockerArchive = work.resolve("tiny-docker.tar");
        run("skopeo", "copy", "oci:" + tinyLayout + ":t", "oci-archive:" + ociArchive);
        run("skopeo", "copy", "oci:" + tinyLayout + ":t", "docker-archive:" + dockerArchive + ":tether/tiny:t");

        // From the registry, and from both kinds of archive: each is read and unpacked, then refused the same way.
        for (List<String> from : List.of(
                List.of("--insecure-registry", "--pull-secret", pullSecret.resolve(".dockerconfigjson").toString(),
                        "--from", "docker://" + registryAddress + "/tether/tiny:t"),
                List.of("--from", "oci-archive:" + ociArchive),
                List.of("--from", "docker-archive:" + dockerArchive))) {
            List<String> args = new java.util.ArrayList<>(List.of("build", work.resolve("tiny-tree").toString(), "--distro",
                    "oci"));
            args.addAll(from);
            CliRun run = CliRun.of(args.toArray(String[]::new));

            assertThat(run.status()).as("build %s", from).isEqualTo(1);
            assertThat(run.errorLine()).as("build %s", from).contains(
                    "the image lacks a kernel (/boot/vmlinuz-VERSION with /lib/modules/VERSION)"
                    + " and an initramfs tool (initramfs-tools or dracut)", "its os-release says ID=scratchy",
                    "put a kernel and initramfs-tools or dracut into the image");
            assertThat(work.resolve("tiny-tree")).doesNotExist();
        }
    }

    @Test
    @Order(5)
    void anImageWithoutAKernelGetsOneFromItsOwnAptGet() throws Exception {
        DebianTreeFixture.assumeMirrorReachable();
        Path base = DebianTreeFixture.cachedTree();
        String image = layout + ":no-kernel";
        // As container images come: no kernel files and no kernel package in dpkg's database.
        run("umoci", "insert", "--image", layout + ":test", "--tag", "no-kernel", "--whiteout", "/vmlinuz");
        List<String> gone = new java.util.ArrayList<>(List.of("/initrd.img", "/vmlinuz.old", "/initrd.img.old"));
        try (Stream<Path> boot = Files.list(base.resolve("boot"));
             Stream<Path> modules = Files.list(base.resolve("usr/lib/modules"));
             Stream<Path> info = Files.list(base.resolve("var/lib/dpkg/info"))) {
            boot.forEach(path -> gone.add("/boot/" + path.getFileName()));
            modules.forEach(path -> gone.add("/usr/lib/modules/" + path.getFileName()));
            info.filter(path -> path.getFileName().toString().startsWith("linux-image-"))
                    .forEach(path -> gone.add("/var/lib/dpkg/info/" + path.getFileName()));
        }
        for (String path : gone) {
            if (Files.exists(base.resolve(path.substring(1)), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                run("umoci", "insert", "--image", image, "--whiteout", path);
            }
        }
        Path status = work.resolve("dpkg-status");
        Files.writeString(status, String.join("\n\n", java.util.Arrays.stream(
                Files.readString(base.resolve("var/lib/dpkg/status")).split("\n\n"))
                .filter(stanza -> !stanza.startsWith("Package: linux-image-")).toList()) + "\n");
        run("umoci", "insert", "--image", image, status.toString(), "/var/lib/dpkg/status");

        Path tree = work.resolve("kernel-installed");
        CliRun run = CliRun.of("build", tree.toString(), "--distro", "oci", "--from", "oci:" + image);

        System.err.print(run.err());
        assertThat(run.status()).as(run.errorLine()).isZero();
        assertThat(run.err()).contains("the image lacks a kernel (/boot/vmlinuz-VERSION with /lib/modules/VERSION);"
                + " installing them with its apt-get");
        try (Stream<Path> boot = Files.list(tree.resolve("boot"))) {
            String vmlinuz = boot.map(path -> path.getFileName().toString()).filter(name -> name.startsWith("vmlinuz-"))
                    .findFirst().orElseThrow(() -> new AssertionError("no /boot/vmlinuz-* after the build"));
            assertThat(tree.resolve("usr/lib/modules/" + vmlinuz.substring("vmlinuz-".length()))).isDirectory();
        }
        assertThat(Files.readString(tree.resolve("var/lib/dpkg/status"))).contains("Package: linux-image-amd64");
        assertThat(tree.resolve("etc/initramfs-tools/hooks/tether")).isExecutable();
        assertThat(tree.resolve("usr/sbin/policy-rc.d")).doesNotExist();
        run("rm", "-rf", "--one-file-system", tree.toString());
    }

    /** What every layer promised, as a user would check it in the tree or the mounted image. */
    static void assertLayersApplied(Path tree) throws Exception {
        assertThat(Files.readString(tree.resolve("etc/debian_version"))).startsWith("12.");
        try (Stream<Path> boot = Files.list(tree.resolve("boot"))) {
            assertThat(boot.map(path -> path.getFileName().toString())).anyMatch(name -> name.startsWith("vmlinuz-"));
        }
        assertThat(tree.resolve(DebianOciImage.DELETED_FILE.substring(1))).as("whiteout of a file").doesNotExist();
        assertThat(tree.resolve(DebianOciImage.DELETED_DIRECTORY.substring(1))).as("whiteout of a directory").doesNotExist();
        assertThat(tree.resolve("usr/share/doc/dpkg")).as("its neighbour stays").isDirectory();
        try (Stream<Path> skel = Files.list(tree.resolve("etc/skel"))) {
            assertThat(skel.map(path -> path.getFileName().toString())).as("opaque directory").containsExactly("only-this");
        }
        assertThat(Files.readString(tree.resolve("etc/initramfs-tools/initramfs.conf"))).as("the last layer's file")
                .contains("\nMODULES=list\n");

        Path extra = tree.resolve("opt/tether-test");
        assertThat(extra.resolve("a")).hasContent("linked");
        assertThat(Files.getAttribute(extra.resolve("a"), "unix:ino")).as("a hard link, not a copy")
                .isEqualTo(Files.getAttribute(extra.resolve("b"), "unix:ino"));
        assertThat(Files.getAttribute(extra.resolve("a"), "unix:nlink")).isEqualTo(2);
        assertThat(Files.getAttribute(extra.resolve("owned"), "unix:uid")).isEqualTo(1234);
        assertThat(Files.getAttribute(extra.resolve("owned"), "unix:gid")).isEqualTo(5678);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(extra.resolve("owned")))).isEqualTo("rw-r-----");
        int mode = (Integer) Files.getAttribute(extra.resolve("null"), "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        assertThat(mode & 0170000).as("a character device").isEqualTo(0020000);
        assertThat(Files.getAttribute(extra.resolve("null"), "unix:rdev")).as("major 1, minor 3").isEqualTo((1L << 8) | 3);
        UserDefinedFileAttributeView xattrs = Files.getFileAttributeView(extra.resolve("a"), UserDefinedFileAttributeView.class);
        ByteBuffer value = ByteBuffer.allocate(64);
        xattrs.read("tether", value);
        assertThat(new String(value.array(), 0, value.position(), StandardCharsets.UTF_8)).isEqualTo("layer-4");
        // Layer 1's own ownership survives too: /etc/shadow belongs to group shadow (42).
        assertThat(Files.getAttribute(tree.resolve("etc/shadow"), "unix:gid")).isEqualTo(42);
    }

    static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).inheritIO().start();
        assertThat(process.waitFor()).as(String.join(" ", command)).isZero();
    }
}
