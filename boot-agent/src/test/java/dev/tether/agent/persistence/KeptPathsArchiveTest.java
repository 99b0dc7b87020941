package dev.tether.agent.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kept paths written to an archive from one root and restored into another, with real files: what comes back, what
 * the image's files become, and what a crafted archive cannot reach.
 */
class KeptPathsArchiveTest {
    private static final List<String> KEPT = List.of("/var/lib/slurm", "/etc/munge/munge.key");

    @TempDir
    Path dir;
    Path running;
    Path booting;

    @BeforeEach
    void roots() throws IOException {
        running = Files.createDirectories(dir.resolve("running"));
        booting = Files.createDirectories(dir.resolve("booting"));
    }

    @Test
    void keptFilesComeBackWithOwnerModeTimeLinksAndAttributes() throws Exception {
        assumeTrue(isRoot(), "owners other than the test's own can only be set as root");
        Path state = Files.createDirectories(running.resolve("var/lib/slurm/state"));
        Path job = Files.writeString(state.resolve("job_state"), "job 4711 running\n");
        Files.setAttribute(job, "unix:uid", 64030);
        Files.setAttribute(job, "unix:gid", 64030);
        PosixMetadata.chmod(job, 0640);
        Path helper = Files.writeString(state.resolve("helper"), "#!/bin/sh\n");
        PosixMetadata.chmod(helper, 04755);
        Files.setLastModifiedTime(job, FileTime.fromMillis(1_700_000_000_000L));
        Files.createSymbolicLink(state.resolve("current"), Path.of("job_state"));
        Files.createSymbolicLink(state.resolve("elsewhere"), Path.of("/etc/passwd"));
        boolean userXattrs = setUserXattr(job, "tether.test", "kept");
        Files.createDirectories(running.resolve("etc/munge"));
        Files.writeString(running.resolve("etc/munge/munge.key"), "secret munge key");
        Files.writeString(Files.createDirectories(running.resolve("var/lib/other")).resolve("not-kept"), "gone at reboot");

        Restore.Report report = roundTrip(KEPT, KEPT);

        Path restored = booting.resolve("var/lib/slurm/state/job_state");
        assertThat(restored).hasContent("job 4711 running");
        assertThat(Files.getAttribute(restored, "unix:uid")).isEqualTo(64030);
        assertThat(Files.getAttribute(restored, "unix:gid")).isEqualTo(64030);
        assertThat((Integer) Files.getAttribute(restored, "unix:mode") & 07777).isEqualTo(0640);
        assertThat((Integer) Files.getAttribute(booting.resolve("var/lib/slurm/state/helper"), "unix:mode") & 07777).isEqualTo(04755);
        assertThat(Files.getLastModifiedTime(restored).toMillis()).isEqualTo(1_700_000_000_000L);
        assertThat(Files.readSymbolicLink(booting.resolve("var/lib/slurm/state/current"))).isEqualTo(Path.of("job_state"));
        assertThat(Files.readSymbolicLink(booting.resolve("var/lib/slurm/state/elsewhere"))).isEqualTo(Path.of("/etc/passwd"));
        if (userXattrs) {
            assertThat(readUserXattr(restored, "tether.test")).isEqualTo("kept");
        }
        assertThat(booting.resolve("etc/munge/munge.key")).hasContent("secret munge key");
        assertThat(booting.resolve("var/lib/other")).doesNotExist();
        assertThat(report.refused()).isZero();
    }

    @Test
    void aFileDeletedUnderAKeptPathStaysDeletedOverTheImagesCopy() throws Exception {
        Files.writeString(Files.createDirectories(running.resolve("var/lib/slurm")).resolve("kept"), "kept");
        // The image ships a default under the kept path, which the node deleted before its last save.
        Files.writeString(Files.createDirectories(booting.resolve("var/lib/slurm")).resolve("image-default"), "default");
        Files.writeString(Files.createDirectories(booting.resolve("var/lib/other")).resolve("image-file"), "untouched");

        roundTrip(KEPT, KEPT);

        assertThat(booting.resolve("var/lib/slurm/kept")).hasContent("kept");
        assertThat(booting.resolve("var/lib/slurm/image-default")).doesNotExist();
        assertThat(booting.resolve("var/lib/other/image-file")).hasContent("untouched");
    }

    @Test
    void aPathKeptOnlySinceTheLastSaveKeepsTheImagesFilesAndOneNoLongerKeptIsNotRestored() throws Exception {
        Files.writeString(Files.createDirectories(running.resolve("var/lib/slurm")).resolve("kept"), "kept");
        Files.writeString(Files.createDirectories(booting.resolve("srv/new")).resolve("image-default"), "default");

        roundTrip(List.of("/var/lib/slurm"), List.of("/srv/new"));

        assertThat(booting.resolve("srv/new/image-default")).hasContent("default");
        assertThat(booting.resolve("var/lib/slurm")).doesNotExist();
    }

    @Test
    void gnuTarReadsTheArchiveAndItsOwnPaxArchiveRestores() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/tar")) || Files.isExecutable(Path.of("/bin/tar")), "GNU tar is not installed");
        Path slurm = Files.createDirectories(running.resolve("var/lib/slurm/" + "deep/".repeat(30)));
        Files.writeString(slurm.resolve("a-file-with-a-name-longer-than-the-hundred-bytes-ustar-has-room-for-"
                + "x".repeat(60)), "long names go through pax");
        byte[] plain = plaintext(List.of("/var/lib/slurm"));
        Path tarFile = Files.write(dir.resolve("kept.tar"), plain);
        Path extracted = Files.createDirectories(dir.resolve("extracted"));

        assertThat(run(extracted, "tar", "--xattrs", "-xf", tarFile.toString())).isZero();
        try (var walk = Files.walk(extracted.resolve("var/lib/slurm"))) {
            assertThat(walk.filter(Files::isRegularFile).map(KeptPathsArchiveTest::read).toList()).containsExactly("long names go through pax");
        }

        // And the other way: an archive GNU tar made restores through this reader.
        Path gnuArchive = dir.resolve("gnu.tar");
        Files.write(dir.resolve("kept-list"), KeptPaths.encode(List.of("/var/lib/slurm")));
        Files.createDirectories(running.resolve(".tether"));
        Files.copy(dir.resolve("kept-list"), running.resolve(".tether/kept"));
        assertThat(run(running, "tar", "--format=pax", "--xattrs", "-cf", gnuArchive.toString(), ".tether/kept", "var/lib/slurm"))
                .isZero();
        try (InputStream in = Files.newInputStream(gnuArchive)) {
            new Restore(booting, List.of("/var/lib/slurm")).apply(in);
        }
        try (var walk = Files.walk(booting.resolve("var/lib/slurm"))) {
            assertThat(walk.filter(Files::isRegularFile).map(KeptPathsArchiveTest::read).toList()).containsExactly("long names go through pax");
        }
    }

    @Test
    void entriesThatEscapeTheKeptPathsAreRefusedAndNothingIsWrittenOutsideThem() throws Exception {
        Files.writeString(Files.createDirectories(booting.resolve("etc")).resolve("shadow"), "root:*:image\n");
        Path outside = Files.createDirectories(dir.resolve("initramfs"));
        var crafted = new ByteArrayOutputStream();
        try (TarWriter tar = new TarWriter(crafted)) {
            file(tar, KeptPaths.ENTRY, KeptPaths.encode(List.of("/var/lib/slurm")));
            directory(tar, "var/lib/slurm");
            file(tar, "var/lib/slurm/honest", "kept".getBytes());
            file(tar, "var/lib/slurm/../../../etc/shadow", "root::0:planted\n".getBytes());
            file(tar, "/etc/shadow", "root::0:planted\n".getBytes());
            file(tar, "etc/shadow", "root::0:planted\n".getBytes());
            file(tar, "var/lib/slurm/./x", "x".getBytes());
            // A link to outside the root, then a file "inside" it: written through the link, it would land outside.
            tar.write(new TarEntry("var/lib/slurm/link", TarEntry.Type.SYMLINK, 0777, 0, 0, 0, outside.toString(), 0, Map.of()),
                    InputStream.nullInputStream());
            file(tar, "var/lib/slurm/link/planted", "through the link".getBytes());
            directory(tar, "var/lib/slurm/link/sub");
        }

        Restore.Report report;
        try (InputStream in = new ByteArrayInputStream(crafted.toByteArray())) {
            report = new Restore(booting, List.of("/var/lib/slurm")).apply(in);
        }

        assertThat(booting.resolve("var/lib/slurm/honest")).hasContent("kept");
        assertThat(booting.resolve("etc/shadow")).hasContent("root:*:image");
        assertThat(outside).isEmptyDirectory();
        assertThat(report.refused()).isEqualTo(6);
        assertThat(String.join("\n", report.refusedNames())).contains("not a normalised name").contains("an absolute name")
                .contains("outside the kept paths");
        assertThat(Files.isSymbolicLink(booting.resolve("var/lib/slurm/link"))).isTrue();
    }

    @Test
    void devicesFifosAndHardLinksInAnArchiveAreRefused() throws Exception {
        var crafted = new ByteArrayOutputStream();
        try (TarWriter tar = new TarWriter(crafted)) {
            file(tar, KeptPaths.ENTRY, KeptPaths.encode(List.of("/var/lib/slurm")));
            directory(tar, "var/lib/slurm");
        }
        byte[] archive = crafted.toByteArray();
        // A hard link entry GNU tar would make ('1' to /etc/shadow), spliced in before the end blocks.
        Path linked = Files.createDirectories(dir.resolve("linked/var/lib/slurm"));
        Files.writeString(linked.resolve("a"), "a");
        Files.createLink(linked.resolve("b"), linked.resolve("a"));
        Path gnu = dir.resolve("hard.tar");
        assertThat(run(dir.resolve("linked"), "tar", "--format=pax", "-cf", gnu.toString(), "var/lib/slurm/a", "var/lib/slurm/b")).isZero();
        byte[] hard = Files.readAllBytes(gnu);
        byte[] joined = new byte[archive.length - 1024 + hard.length];
        System.arraycopy(archive, 0, joined, 0, archive.length - 1024);
        System.arraycopy(hard, 0, joined, archive.length - 1024, hard.length);

        Restore.Report report = new Restore(booting, List.of("/var/lib/slurm")).apply(new ByteArrayInputStream(joined));

        assertThat(booting.resolve("var/lib/slurm/a")).hasContent("a");
        assertThat(booting.resolve("var/lib/slurm/b")).doesNotExist();
        assertThat(report.refused()).isEqualTo(1);
        assertThat(report.refusedNames().get(0)).contains("not a file, directory or symbolic link");
    }

    @Test
    void aKeptPathThatPassesThroughALinkInTheImageIsNotRestoredAtAll() throws Exception {
        Files.writeString(Files.createDirectories(running.resolve("home/alice")).resolve("notes"), "notes");
        byte[] plain = plaintext(List.of("/home/alice"));
        Path elsewhere = Files.createDirectories(dir.resolve("initramfs-home"));
        Files.createSymbolicLink(booting.resolve("home"), elsewhere);

        assertThatThrownBy(() -> new Restore(booting, List.of("/home/alice")).apply(new ByteArrayInputStream(plain)))
                .hasMessageContaining("passes through the symbolic link /home");
        assertThat(elsewhere).isEmptyDirectory();
    }

    @Test
    void anArchiveWithoutItsListOfKeptPathsIsRefused() throws Exception {
        var crafted = new ByteArrayOutputStream();
        try (TarWriter tar = new TarWriter(crafted)) {
            file(tar, "var/lib/slurm/x", "x".getBytes());
        }
        assertThatThrownBy(() -> new Restore(booting, KEPT).apply(new ByteArrayInputStream(crafted.toByteArray())))
                .hasMessageContaining(KeptPaths.ENTRY);
    }

    @Test
    void keptPathsLargerThanTheLimitStopTheSaveWithAClearError() throws Exception {
        Files.write(Files.createDirectories(running.resolve("var/lib/slurm")).resolve("big"), new byte[200_000]);
        var sink = new ByteArrayOutputStream();

        assertThatThrownBy(() -> {
            try (var sealed = SealedArchive.seal(new LimitedOutputStream(sink, 100_000), new byte[32], "hpc", "node-001", 1)) {
                new Snapshot(running, KEPT).write(sealed);
            }
        }).isInstanceOf(ArchiveTooLargeException.class).hasMessageContaining("limit of 100000 bytes");
        assertThat(sink.size()).isLessThanOrEqualTo(100_000);
    }

    private Restore.Report roundTrip(List<String> keptWhenSaved, List<String> keptNow) throws IOException {
        byte[] plain = plaintext(keptWhenSaved);
        try (InputStream in = new ByteArrayInputStream(plain)) {
            return new Restore(booting, keptNow).apply(in);
        }
    }

    private byte[] plaintext(List<String> kept) throws IOException {
        var out = new ByteArrayOutputStream();
        new Snapshot(running, kept).write(out);
        return out.toByteArray();
    }

    private static void file(TarWriter tar, String name, byte[] content) throws IOException {
        tar.write(new TarEntry(name, TarEntry.Type.FILE, 0644, 0, 0, 0, null, content.length, Map.of()), new ByteArrayInputStream(content));
    }

    private static void directory(TarWriter tar, String name) throws IOException {
        tar.write(new TarEntry(name, TarEntry.Type.DIRECTORY, 0755, 0, 0, 0, null, 0, Map.of()), InputStream.nullInputStream());
    }

    private static boolean setUserXattr(Path file, String name, String value) {
        try {
            Files.getFileAttributeView(file, UserDefinedFileAttributeView.class).write(name,
                    java.nio.ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false; // a file system without user xattrs (tmpfs before 6.6)
        }
    }

    private static String readUserXattr(Path file, String name) throws IOException {
        var view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        var buffer = java.nio.ByteBuffer.allocate(view.size(name));
        view.read(name, buffer);
        return new String(buffer.array(), StandardCharsets.UTF_8);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static int run(Path cwd, String... command) throws Exception {
        Process process = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        if (process.exitValue() != 0) {
            System.out.println(String.join(" ", command) + ": " + output);
        }
        return process.exitValue();
    }
}
