package dev.tether.imgutil.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.imgutil.cli.CliRun;
import dev.tether.imgutil.util.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaptureTest {
    @TempDir
    Path dir;

    @Test
    void capturesASystemWithoutItsRuntimeState() throws Exception {
        assumeTrue(Tools.onPath("rsync"), "SKIPPED: needs rsync (see .ci/apt-packages.txt)");
        Path system = dir.resolve("system");
        Files.createDirectories(system.resolve("etc/ssh"));
        Files.createDirectories(system.resolve("proc/1"));
        Files.createDirectories(system.resolve("tmp"));
        Files.writeString(system.resolve("etc/hostname"), "node1");
        Files.writeString(system.resolve("etc/machine-id"), "0123456789abcdef");
        Files.writeString(system.resolve("etc/ssh/ssh_host_ed25519_key"), "secret");
        Files.writeString(system.resolve("etc/ssh/sshd_config"), "PermitRootLogin no");
        Files.writeString(system.resolve("tmp/scratch"), "x");
        Path target = dir.resolve("captured");

        CliRun run = CliRun.of("capture", target.toString(), "--source", system.toString());

        assertThat(run.status()).as(run.err()).isZero();
        assertThat(target.resolve("etc/hostname")).hasContent("node1");
        assertThat(target.resolve("etc/ssh/sshd_config")).exists();
        assertThat(target.resolve("etc/ssh/ssh_host_ed25519_key")).doesNotExist();
        assertThat(target.resolve("etc/machine-id")).doesNotExist();
        assertThat(target.resolve("proc")).isEmptyDirectory();
        assertThat(target.resolve("tmp")).isEmptyDirectory();
        assertThat(dir.resolve(".captured.partial")).doesNotExist();
    }

    @Test
    void refusesAnExistingTargetAndAMissingSource() throws Exception {
        assumeTrue(Tools.onPath("rsync"), "SKIPPED: needs rsync (see .ci/apt-packages.txt)");
        CliRun existing = CliRun.of("capture", dir.toString(), "--source", dir.toString());
        assertThat(existing.status()).isEqualTo(1);
        assertThat(existing.errorLine()).endsWith("already exists; capture makes a new tree");
        CliRun missing = CliRun.of("capture", dir.resolve("new").toString(), "--source", dir.resolve("nope").toString());
        assertThat(missing.errorLine()).contains("is not a directory (or HOST:PATH)");
    }
}
