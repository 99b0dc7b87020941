package dev.tether.imgutil.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.image.format.ChunkIntegrityException;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.FileChunkSource;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.Manifest;
import dev.tether.image.format.RootImagePin;
import dev.tether.image.format.RootImageReader;
import dev.tether.imgutil.cli.CliRun;
import dev.tether.imgutil.exec.BindMount;
import dev.tether.imgutil.exec.NamespaceExec;
import dev.tether.imgutil.fixture.DebianTreeFixture;
import dev.tether.imgutil.initramfs.InitramfsIntegration;
import dev.tether.imgutil.util.Console;
import dev.tether.imgutil.util.ProcessRunner;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * pack of the real cached Debian tree with the Tether integration and a stand-in agent bundle, then
 * every promise about its output: the manifest, the initramfs, the squashfs behind the container, tamper
 * and wrong-key detection, unpack, and an initramfs regenerated later inside the image.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PackTest {
    @TempDir
    static Path work;

    static Path tree;
    static Path out;
    static Path keyFile;
    static CliRun pack;
    static Manifest manifest;

    @BeforeAll
    static void packTheTree() throws Exception {
        tree = DebianTreeFixture.copyInto(work.resolve("root"));
        Path bundle = agentBundle(work.resolve("agent"));
        new InitramfsIntegration(new Console(System.err, false), new ProcessRunner(new Console(System.err, false)))
                .install(tree, bundle);
        // MODULES=most makes update-initramfs take minutes on a small machine, twice here. What these tests
        // check is that the image's own tool applies the Tether hook, which it does for any MODULES policy;
        // the long RunSpecTest packs with the image's default (most).
        Path conf = tree.resolve("etc/initramfs-tools/initramfs.conf");
        Files.writeString(conf, Files.readString(conf).replace("\nMODULES=most\n", "\nMODULES=list\n"));
        assertThat(Files.readString(conf)).contains("\nMODULES=list\n");
        out = work.resolve("out");
        keyFile = work.resolve("secret/image.key");

        pack = CliRun.of("pack", tree.toString(), out.toString(), "--key-file", keyFile.toString(),
                "--chunk-size", "256Ki", "--result-file", work.resolve("result.json").toString());

        System.err.print(pack.err());
        assertThat(pack.status()).as("pack failed: %s", pack.errorLine()).isZero();
        manifest = Manifest.read(out.resolve(Manifest.FILE_NAME));
    }

    /**
     * A stand-in for the agent bundle, in its shape: a launcher script, the runtime's squashfs (any bytes here) and
     * the system libraries the runtime links.
     */
    static Path agentBundle(Path bundle) throws Exception {
        Files.createDirectories(bundle.resolve("bin"));
        Files.writeString(bundle.resolve("bin/tether-agent"), "#!/bin/sh\necho stand-in agent \"$@\"\n");
        Files.setPosixFilePermissions(bundle.resolve("bin/tether-agent"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(bundle.resolve("agent.squashfs"), "stand-in runtime");
        Files.writeString(bundle.resolve("system-libraries"), TetherInitramfs.RUNTIME_LIBRARY + "\n");
        return bundle;
    }

    @AfterAll
    static void nothingLeftMounted() throws Exception {
        if (tree != null) {
            String prefix = tree.toRealPath().toString();
            assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo")))
                    .noneMatch(line -> line.split(" ")[4].startsWith(prefix));
        }
    }

    @Test
    @Order(1)
    void manifestNamesEveryArtifactByDigestAndPrintsTheImageDigest() throws Exception {
        assertThat(pack.out().strip()).isEqualTo(ContentDigest.ofFile(out.resolve("manifest.json")));
        for (Manifest.Artifact artifact : manifest.files().values()) {
            Path file = out.resolve(artifact.file());
            assertThat(ContentDigest.ofFile(file)).as(artifact.file()).isEqualTo(artifact.digest());
            assertThat(Files.size(file)).isEqualTo(artifact.size());
        }
        assertThat(manifest.kernelVersion()).matches("6\\.1\\.0-\\d+-amd64");
        assertThat(manifest.distribution()).isEqualTo("debian");
        assertThat(manifest.release()).isEqualTo("bookworm");
        assertThat(manifest.architecture()).isEqualTo("amd64");
        assertThat(manifest.compression()).isEqualTo("zstd");
        assertThat(manifest.builder()).startsWith("imgutil ");
        assertThat(manifest.encryption().cipher()).isEqualTo("AES-256-GCM");
        assertThat(manifest.encryption().chunkSize()).isEqualTo(256 * 1024);
        // The agent holds the edges' header to this pin, so it must be the header as written.
        byte[] header = new byte[ImageHeader.SIZE];
        try (var in = Files.newInputStream(out.resolve("root.img"))) {
            assertThat(in.readNBytes(header, 0, header.length)).isEqualTo(ImageHeader.SIZE);
        }
        assertThat(manifest.encryption().headerDigest()).isEqualTo(ContentDigest.of(header));
        assertThat(RootImagePin.of(manifest).differences(ImageHeader.decode(ByteBuffer.wrap(header)))).isEmpty();
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files.map(path -> path.getFileName().toString()))
                    .containsExactlyInAnyOrder("vmlinuz", "initrd.img", "root.img", "manifest.json");
        }
        assertThat(Files.readString(work.resolve("result.json")))
                .startsWith("{\"digest\":\"" + pack.out().strip() + "\",\"kernelVersion\":\"" + manifest.kernelVersion())
                .contains("\"encrypted\":true", "\"keyId\":\"" + manifest.encryption().keyId() + "\"");
    }

    @Test
    @Order(2)
    void keyIsWrittenPrivatelyAndNeverIntoTheOutput() throws Exception {
        ImageKey key = KeyFile.read(keyFile);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        assertThat(manifest.encryption().keyId()).isEqualTo(key.keyIdHex());
        String keyHex = HexFormat.of().formatHex(key.bytes());
        assertThat(Files.readString(out.resolve("manifest.json"))).doesNotContain(keyHex);
        assertThat(Files.readString(work.resolve("result.json"))).doesNotContain(keyHex);
    }

    @Test
    @Order(3)
    void initramfsCarriesTheAgentAndWhatItNeeds() throws Exception {
        TetherInitramfs.assertIntegrated(initramfsListing(out.resolve("initrd.img")));
    }

    @Test
    @Order(4)
    void containerOpensToTheSquashfsOfTheTree() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/loop-control")), "SKIPPED: no loop devices (/dev/loop-control)");
        Path squashfs = work.resolve("opened.squashfs");
        try (RootImageReader reader = RootImageReader.open(FileChunkSource.open(out.resolve("root.img")),
                KeyFile.read(keyFile));
             FileChannel target = FileChannel.open(squashfs, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            reader.transferTo(target);
        }
        assertThat(ContentDigest.ofFile(squashfs)).isEqualTo(manifest.squashfs().digest());
        assertThat(Files.size(squashfs)).isEqualTo(manifest.squashfs().size());

        Path mountPoint = Files.createDirectories(work.resolve("mnt"));
        run("mount", "-t", "squashfs", "-o", "loop,ro", squashfs.toString(), mountPoint.toString());
        try {
            assertThat(Files.readString(mountPoint.resolve("etc/debian_version"))).startsWith("12.");
            assertThat(mountPoint.resolve("etc/machine-id")).isEmptyFile();
            assertThat(mountPoint.resolve("usr/lib/tether/agent/bin/tether-agent")).isExecutable();
            assertThat(mountPoint.resolve("etc/initramfs-tools/hooks/tether")).isExecutable();
            assertThat(mountPoint.resolve("usr/lib/dracut/modules.d/90tether/module-setup.sh")).exists();
            assertThat(mountPoint.resolve("etc/ssh/sshd_config")).exists();
            try (Stream<Path> ssh = Files.list(mountPoint.resolve("etc/ssh"))) {
                assertThat(ssh.map(path -> path.getFileName().toString())).noneMatch(name -> name.startsWith("ssh_host_"));
            }
            for (String empty : List.of("proc", "sys", "dev", "run", "tmp")) {
                try (Stream<Path> entries = Files.list(mountPoint.resolve(empty))) {
                    assertThat(entries).as("/%s is empty", empty).isEmpty();
                }
            }
            try (Stream<Path> boot = Files.list(mountPoint.resolve("boot"))) {
                assertThat(boot.map(path -> path.getFileName().toString())).noneMatch(name -> name.startsWith("initrd"));
            }
            assertThat(mountPoint.resolve("usr/sbin/policy-rc.d")).doesNotExist();
            assertThatThrownBy(() -> Files.writeString(mountPoint.resolve("etc/motd"), "x"))
                    .hasMessageContaining("Read-only file system");
        } finally {
            run("umount", mountPoint.toString());
        }
    }

    @Test
    @Order(5)
    void oneFlippedByteFailsItsChunkClearly() throws Exception {
        Path damaged = work.resolve("damaged.img");
        Files.copy(out.resolve("root.img"), damaged);
        long chunk = 3;
        try (FileChunkSource source = FileChunkSource.open(damaged)) {
            long offset = RootImageReader.readHeader(source).chunkOffset(chunk) + 1234;
            try (FileChannel channel = FileChannel.open(damaged, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
                channel.read(one, offset);
                channel.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) (one.get(0) ^ 0x40)}), offset);
            }
        }
        try (RootImageReader reader = RootImageReader.open(FileChunkSource.open(damaged), KeyFile.read(keyFile))) {
            assertThat(reader.readChunk(2).remaining()).isEqualTo(256 * 1024);
            assertThatThrownBy(() -> reader.readChunk(chunk))
                    .isInstanceOfSatisfying(ChunkIntegrityException.class, e -> assertThat(e.chunkIndex()).isEqualTo(chunk));
        }
        CliRun inspect = CliRun.of("inspect", damaged.toString(), "--key-file", keyFile.toString());
        assertThat(inspect.status()).isEqualTo(1);
        assertThat(inspect.errorLine()).contains("chunk 3 of the root image failed its integrity check "
                + "(AES-256-GCM tag mismatch)");
        assertThat(inspect.err()).doesNotContain("\tat ");
    }

    @Test
    @Order(6)
    void wrongKeyFailsClearlyAndUnpackLeavesNoTree() throws Exception {
        Path wrongKey = Files.write(work.resolve("wrong.key"), ImageKey.generate(new SecureRandom()).bytes());
        Path target = work.resolve("wrong-unpack");

        CliRun unpack = CliRun.of("unpack", out.toString(), target.toString(), "--key-file", wrongKey.toString(),
                "--scratch", work.toString());

        assertThat(unpack.status()).isEqualTo(1);
        assertThat(unpack.errorLine()).startsWith("imgutil: unpack failed: wrong key: the root image was sealed with key id "
                + manifest.encryption().keyId());
        assertThat(target).doesNotExist();
    }

    @Test
    @Order(7)
    void inspectChecksEveryChunkAgainstTheManifest() {
        CliRun inspect = CliRun.of("inspect", out.toString(), "--key-file", keyFile.toString());
        assertThat(inspect.status()).as(inspect.err()).isZero();
        assertThat(inspect.out()).contains("cipher:         AES-256-GCM", "key id:         " + manifest.encryption().keyId(),
                "manifest:       digest matches",
                "chunks checked: all " + manifest.encryption().chunkCount() + " intact");
    }

    @Test
    @Order(8)
    void unpackGivesBackTheTree() throws Exception {
        Path target = work.resolve("unpacked");
        CliRun unpack = CliRun.of("unpack", out.toString(), target.toString(), "--key-file", keyFile.toString(),
                "--scratch", work.toString());
        assertThat(unpack.status()).as(unpack.err()).isZero();
        assertThat(Files.readString(target.resolve("etc/debian_version")))
                .isEqualTo(Files.readString(tree.resolve("etc/debian_version")));
        assertThat(Files.getAttribute(target.resolve("usr/bin/passwd"), "unix:mode"))
                .isEqualTo(Files.getAttribute(tree.resolve("usr/bin/passwd"), "unix:mode"));
        run("rm", "-rf", "--one-file-system", target.toString());
    }

    @Test
    @Order(9)
    void initramfsRegeneratedInsideTheImageKeepsTheAgent() throws Exception {
        String version = manifest.kernelVersion();
        Path initrd = tree.resolve("boot/initrd.img-" + version);
        long before = Files.getLastModifiedTime(initrd).toMillis();

        int status = NamespaceExec.run(NamespaceExec.Request.of(tree, List.of("update-initramfs", "-u", "-k", version)),
                ProcessBuilder.Redirect.from(new File("/dev/null")), ProcessBuilder.Redirect.INHERIT,
                ProcessBuilder.Redirect.INHERIT);

        assertThat(status).isZero();
        assertThat(Files.getLastModifiedTime(initrd).toMillis()).isGreaterThan(before);
        TetherInitramfs.assertIntegrated(initramfsListing(initrd));
    }

    /** lsinitramfs of the image itself, run inside it, with the file bound in. */
    static List<String> initramfsListing(Path initramfs) throws Exception {
        Path listing = Files.createTempFile(work, "lsinitramfs", ".txt");
        NamespaceExec.Request request = new NamespaceExec.Request(tree,
                List.of(BindMount.parse(initramfs.toRealPath() + ":/mnt/initrd.img")),
                List.of("lsinitramfs", "/mnt/initrd.img"), Map.of(), "imgutil");
        int status = NamespaceExec.run(request, ProcessBuilder.Redirect.from(new File("/dev/null")),
                ProcessBuilder.Redirect.to(listing.toFile()), ProcessBuilder.Redirect.INHERIT);
        assertThat(status).isZero();
        return Files.readAllLines(listing);
    }

    private static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).inheritIO().start();
        assertThat(process.waitFor()).as(String.join(" ", command)).isZero();
    }
}
