package dev.tether.imgutil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.image.format.ImageKey;
import dev.tether.image.format.ImageOptions;
import dev.tether.image.format.RootImageWriter;
import dev.tether.imgutil.util.Tools;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every user error: one line on stderr starting "imgutil: ", a non-zero status, no stack trace, and
 * nothing left that looks like a finished artifact.
 */
class BadInputTest {
    @TempDir
    Path dir;

    private static void assertOneLineError(CliRun run, int status, String message) {
        assertThat(run.status()).as("exit status; stderr was: %s", run.err()).isEqualTo(status);
        assertThat(run.err()).doesNotContain("\tat ", "Exception in thread", "Caused by");
        assertThat(run.err().lines().filter(line -> line.startsWith("imgutil: "))).hasSize(1);
        assertThat(run.errorLine()).contains(message);
    }

    /** As above, and nothing on stdout, where results (digests) go. */
    private static void assertOneLineErrorNoResult(CliRun run, int status, String message) {
        assertOneLineError(run, status, message);
        assertThat(run.out()).isEmpty();
    }

    private void assertNothingLooksComplete(Path outDir) throws Exception {
        if (Files.isDirectory(outDir)) {
            try (Stream<Path> files = Files.list(outDir)) {
                assertThat(files.map(path -> path.getFileName().toString())).noneMatch(name -> !name.startsWith("."));
            }
        }
    }

    /** A directory that passes the tree check (etc and usr) but has no kernel. */
    private Path fakeTree() throws Exception {
        Path tree = dir.resolve("tree");
        Files.createDirectories(tree.resolve("etc"));
        Files.createDirectories(tree.resolve("usr"));
        return tree;
    }

    @Test
    void packOfAMissingTree() throws Exception {
        Path out = dir.resolve("out");
        CliRun run = CliRun.of("pack", dir.resolve("missing").toString(), out.toString(), "--unencrypted");
        assertOneLineErrorNoResult(run, 1, "imgutil: image tree " + dir.resolve("missing") + " does not exist");
        assertNothingLooksComplete(out);
    }

    @Test
    void packOfAFileInsteadOfADirectory() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        Path out = dir.resolve("out");
        assertOneLineErrorNoResult(CliRun.of("pack", file.toString(), out.toString(), "--unencrypted"), 1, "is not a directory");
        assertNothingLooksComplete(out);
    }

    @Test
    void packOfADirectoryThatIsNoRootTree() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertOneLineErrorNoResult(CliRun.of("pack", empty.toString(), dir.resolve("out").toString(), "--unencrypted"), 1,
                "does not look like a root tree");
    }

    @Test
    void packOfATreeWithoutAKernel() throws Exception {
        Path out = dir.resolve("out");
        assertOneLineErrorNoResult(CliRun.of("pack", fakeTree().toString(), out.toString(), "--unencrypted"), 1,
                "has no kernel");
        assertNothingLooksComplete(out);
    }

    @Test
    void packIntoAnUnwritableOutputDirectory() throws Exception {
        assumeTrue(Tools.runningAsRoot() && Tools.onPath("chattr"),
                "SKIPPED: needs root and chattr (e2fsprogs) to make a directory that root cannot write");
        Path out = Files.createDirectories(dir.resolve("readonly"));
        Process chattr = new ProcessBuilder("chattr", "+i", out.toString()).inheritIO().start();
        assumeTrue(chattr.waitFor() == 0, "SKIPPED: this filesystem does not support the immutable attribute");
        try {
            assertOneLineErrorNoResult(CliRun.of("pack", fakeTree().toString(), out.toString(), "--unencrypted"), 1,
                    "cannot write to the output directory " + out);
        } finally {
            new ProcessBuilder("chattr", "-i", out.toString()).inheritIO().start().waitFor();
        }
        assertNothingLooksComplete(out);
    }

    @Test
    void packIntoAnOutputDirectoryUnderAFile() throws Exception {
        Path file = Files.writeString(dir.resolve("plain-file"), "x");
        assertOneLineErrorNoResult(CliRun.of("pack", fakeTree().toString(), file.resolve("out").toString(), "--unencrypted"),
                1, "cannot write to the output directory");
    }

    @Test
    void encryptedPackWithoutAKeyFile() throws Exception {
        Path out = dir.resolve("out");
        assertOneLineErrorNoResult(CliRun.of("pack", fakeTree().toString(), out.toString()), 1, "needs --key-file FILE");
        assertNothingLooksComplete(out);
    }

    @Test
    void keyFileInsideTheOutputDirectoryIsRefused() throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        assertOneLineErrorNoResult(CliRun.of("pack", fakeTree().toString(), out.toString(), "--key-file",
                out.resolve("image.key").toString()), 1, "must not be inside the output directory");
        assertThat(out.resolve("image.key")).doesNotExist();
    }

    @Test
    void badChunkSizeAndCompression() throws Exception {
        assertOneLineErrorNoResult(CliRun.of("pack", fakeTree().toString(), dir.resolve("o").toString(), "--unencrypted",
                "--chunk-size", "3Mi"), 1, "--chunk-size: chunk size must be a power of two");
        assertOneLineErrorNoResult(CliRun.of("pack", fakeTree().toString(), dir.resolve("o").toString(), "--unencrypted",
                "--chunk-size", "lots"), 1, "is not a size");
        assertOneLineErrorNoResult(CliRun.of("pack", fakeTree().toString(), dir.resolve("o").toString(), "--unencrypted",
                "--compression", "gzip"), 1, "unknown compression 'gzip'");
    }

    @Test
    void buildOfAnUnknownDistribution() {
        assertOneLineErrorNoResult(CliRun.of("build", dir.resolve("t").toString(), "--distro", "arch", "--release", "rolling"), 1,
                "unknown distribution 'arch' (known: debian, ubuntu, rhel-family, oci)");
        assertThat(dir.resolve("t")).doesNotExist();
    }

    @Test
    void buildIntoAFile() throws Exception {
        assumeTrue(Tools.runningAsRoot(), "SKIPPED: build checks for root before its target");
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertOneLineErrorNoResult(CliRun.of("build", file.toString(), "--distro", "debian", "--release", "bookworm"), 1,
                "is a file; build wants a new or empty directory");
    }

    @Test
    void execInAMissingTree() {
        assumeTrue(Tools.runningAsRoot(), "SKIPPED: exec checks for root before its tree");
        assertOneLineErrorNoResult(CliRun.of("exec", dir.resolve("missing").toString(), "--", "true"), 1, "does not exist");
    }

    @Test
    void inspectOfATruncatedContainer() throws Exception {
        Path image = dir.resolve("root.img");
        ImageKey key = ImageKey.generate(new SecureRandom());
        try (FileChannel out = FileChannel.open(image, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            RootImageWriter writer = RootImageWriter.start(out, 300_000, ImageOptions.encrypted(key).withChunkSize(65536));
            writer.write(new byte[300_000], 0, 300_000);
            writer.close();
            out.truncate(out.size() - 1000);
        }
        Path keyFile = Files.write(dir.resolve("key"), key.bytes());

        assertOneLineError(CliRun.of("inspect", image.toString(), "--key-file", keyFile.toString()), 1,
                "root image is truncated");
    }

    @Test
    void inspectWithTheWrongKey() throws Exception {
        Path image = dir.resolve("root.img");
        try (FileChannel out = FileChannel.open(image, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            RootImageWriter writer = RootImageWriter.start(out, 10,
                    ImageOptions.encrypted(ImageKey.generate(new SecureRandom())));
            writer.write(new byte[10], 0, 10);
            writer.close();
        }
        Path wrongKey = Files.write(dir.resolve("key"), new byte[32]);

        assertOneLineError(CliRun.of("inspect", image.toString(), "--key-file", wrongKey.toString()), 1,
                "wrong key: the root image was sealed with key id");
    }

    @Test
    void unpackOfADirectoryWithoutAManifest() throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.writeString(out.resolve("root.img"), "half");
        Path target = dir.resolve("tree");
        assertOneLineErrorNoResult(CliRun.of("unpack", out.toString(), target.toString()), 1,
                "has no manifest.json (not a complete imgutil pack output)");
        assertThat(target).doesNotExist();
    }

    @Test
    void keyFileOfTheWrongLength() throws Exception {
        Path key = Files.writeString(dir.resolve("key"), "short");
        Path image = Files.writeString(dir.resolve("root.img"), "x");
        assertOneLineError(CliRun.of("inspect", image.toString(), "--key-file", key.toString()), 1,
                "an image key is 32 raw bytes or 64 hex digits");
    }

    @Test
    void usageErrorsAreOneLineWithExitStatus2() {
        assertOneLineErrorNoResult(CliRun.of("pack", "a", "b", "--no-such-option"), 2, "Unknown option: '--no-such-option'");
        assertOneLineErrorNoResult(CliRun.of("frobnicate"), 2, "Unmatched argument");
        assertOneLineErrorNoResult(CliRun.of("publish", dir.toString()), 2, "Missing required options");
    }

    @Test
    void publishToANonHttpOrigin() throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "t");
        assertOneLineErrorNoResult(CliRun.of("publish", dir.toString(), "--origin", "ftp://x", "--token", token.toString()), 1,
                "is not an http:// or https:// URL");
    }

    @Test
    void ociBuildsWithoutOrWithABadImageSayWhatToGive() {
        String tree = dir.resolve("tree").toString();
        assertOneLineErrorNoResult(CliRun.of("build", tree, "--distro", "oci"), 1,
                "imgutil: --distro oci needs --from IMAGE: an image reference (registry.example.org/repo/name:tag");
        assertOneLineErrorNoResult(CliRun.of("build", tree, "--distro", "oci", "--from", "registry.example.org/x;reboot"), 1,
                "'registry.example.org/x;reboot' is not an OCI image reference");
        assertOneLineErrorNoResult(CliRun.of("build", tree, "--distro", "oci", "--from", "oci:/tmp/x;id"), 1,
                "no spaces, quotes or ':'");
        assertOneLineErrorNoResult(CliRun.of("build", tree, "--distro", "oci", "--from", "x/y", "--repo", "http://x/y"), 1,
                "--repo and --mirror do not apply to --distro oci");
        assertOneLineErrorNoResult(CliRun.of("build", tree, "--distro", "debian", "--release", "bookworm", "--from", "x/y"), 1,
                "--from, --pull-secret and --insecure-registry are for --distro oci only");
        assertOneLineErrorNoResult(CliRun.of("build", tree, "--distro", "debian"), 1, "--distro debian needs --release");
        assertThat(dir.resolve("tree")).doesNotExist();
    }

    @Test
    void gpgOptionsAreForRhelFamilyAndKeysMustBeUrls() {
        String tree = dir.resolve("tree").toString();
        assertOneLineErrorNoResult(CliRun.of("build", tree, "--distro", "debian", "--release", "bookworm", "--gpg-key",
                "file:///k.asc"), 1, "--gpg-key and --no-gpgcheck are for --distro rhel-family only");
        assertOneLineErrorNoResult(CliRun.of("build", tree, "--distro", "rhel-family", "--release", "9", "--repo",
                "https://r.example.org/9/", "--gpg-key", "/etc/pki/key.asc"), 1,
                "GPG key '/etc/pki/key.asc' is not a file://, http:// or https:// URL without spaces");
        assertThat(dir.resolve("tree")).doesNotExist();
    }
}
