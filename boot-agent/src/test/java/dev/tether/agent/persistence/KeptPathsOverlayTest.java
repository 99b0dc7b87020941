package dev.tether.agent.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restore as the boot makes it: into a real overlay mount whose lower layer is the (read-only) image and whose
 * upper layer is the node's writable layer. The image's files under a kept path are hidden by whiteouts, never changed;
 * the restored files land in the writable layer, file capabilities included.
 */
class KeptPathsOverlayTest {
    @TempDir
    Path dir;
    private Path merged;
    private boolean mounted;

    @BeforeEach
    void overlay() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "SKIPPED: mounting an overlay needs root");
        for (String sub : List.of("lower", "upper", "work", "merged", "running")) {
            Files.createDirectories(dir.resolve(sub));
        }
        Files.writeString(Files.createDirectories(dir.resolve("lower/var/lib/slurm")).resolve("image-default"), "from the image");
        Files.writeString(Files.createDirectories(dir.resolve("lower/var/lib/other")).resolve("image-file"), "untouched");
        merged = dir.resolve("merged");
        int status = run("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + dir.resolve("lower") + ",upperdir="
                + dir.resolve("upper") + ",workdir=" + dir.resolve("work"), merged.toString());
        assumeTrue(status == 0, "SKIPPED: this kernel cannot mount an overlay here");
        mounted = true;
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            run("umount", merged.toString());
        }
    }

    @Test
    void restoredFilesLandInTheWritableLayerAndTheImagesAreHiddenNotChanged() throws Exception {
        Path running = dir.resolve("running");
        Path tool = Files.writeString(Files.createDirectories(running.resolve("var/lib/slurm")).resolve("bind-tool"), "#!/bin/sh\n");
        PosixMetadata.chmod(tool, 0755);
        boolean capabilities = run("setcap", "cap_net_bind_service=+ep", tool.toString()) == 0;
        Files.writeString(running.resolve("var/lib/slurm/job_state"), "job 4711");
        var plain = new ByteArrayOutputStream();
        new Snapshot(running, List.of("/var/lib/slurm")).write(plain);

        Restore.Report report = new Restore(merged, List.of("/var/lib/slurm")).apply(new ByteArrayInputStream(plain.toByteArray()));

        assertThat(report.refused()).isZero();
        assertThat(merged.resolve("var/lib/slurm/job_state")).hasContent("job 4711");
        assertThat(merged.resolve("var/lib/slurm/image-default")).doesNotExist();
        assertThat(merged.resolve("var/lib/other/image-file")).hasContent("untouched");
        assertThat(dir.resolve("lower/var/lib/slurm/image-default")).as("the image is never changed").hasContent("from the image");
        assertThat(dir.resolve("upper/var/lib/slurm/job_state")).as("in the writable layer").hasContent("job 4711");
        if (capabilities) {
            assertThat(output("getcap", merged.resolve("var/lib/slurm/bind-tool").toString())).contains("cap_net_bind_service=ep");
            assertThat(report.attributesNotSet()).isZero();
        }
        assertThat(Files.isSymbolicLink(merged.resolve("var/lib/slurm"))).isFalse();
        assertThat(Files.exists(dir.resolve("upper/var/lib/other"), LinkOption.NOFOLLOW_LINKS)).as("nothing else copied up").isFalse();
    }

    private static int run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        return process.waitFor(60, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    private static String output(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor(60, TimeUnit.SECONDS);
        return text;
    }
}
