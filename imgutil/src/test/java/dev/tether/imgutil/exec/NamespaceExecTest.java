package dev.tether.imgutil.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.imgutil.UserError;
import dev.tether.imgutil.fixture.DebianTreeFixture;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** exec in the real cached Debian tree: namespaces, mounts, exit status, and nothing left on the host. */
class NamespaceExecTest {
    @TempDir
    static Path work;

    static Path tree;

    @BeforeAll
    static void tree() throws Exception {
        tree = DebianTreeFixture.copyInto(work.resolve("root"));
    }

    private static String run(List<String> command, int expectedStatus) throws Exception {
        return run(NamespaceExec.Request.of(tree, command), expectedStatus);
    }

    private static String run(NamespaceExec.Request request, int expectedStatus) throws Exception {
        Path out = Files.createTempFile(work, "out", ".txt");
        int status = NamespaceExec.run(request, ProcessBuilder.Redirect.from(new File("/dev/null")),
                ProcessBuilder.Redirect.to(out.toFile()), ProcessBuilder.Redirect.INHERIT);
        assertThat(status).as("exit status of %s", request.command()).isEqualTo(expectedStatus);
        return Files.readString(out);
    }

    private static List<String> hostMountsUnder(Path root) throws Exception {
        String prefix = root.toRealPath().toString();
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(line -> line.split(" ")[4].startsWith(prefix))
                .toList();
    }

    @Test
    void commandIsPid1AndSeesOnlyItsOwnNamespace() throws Exception {
        String output = run(List.of("/bin/sh", "-c",
                "echo pid=$$; ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' '; echo; hostname; cat /etc/debian_version"), 0);

        List<String> lines = output.lines().toList();
        assertThat(lines.get(0)).isEqualTo("pid=1");
        // Only the shell (1) and the ls and grep and tr it started: no host processes.
        assertThat(lines.get(1).trim().split(" ")).contains("1").hasSizeLessThanOrEqualTo(4);
        assertThat(lines.get(2)).isEqualTo("imgutil");
        assertThat(lines.get(3)).startsWith("12.");
    }

    @Test
    void procSysDevRunAndResolvConfAreMountedInside() throws Exception {
        String mounts = run(List.of("/bin/sh", "-c", "cat /proc/self/mounts; ls /sys/kernel >/dev/null && echo sys-ok;"
                + " echo x > /dev/null && head -c 4 /dev/urandom | wc -c; test -c /dev/pts/ptmx && echo pts-ok;"
                + " test -s /etc/resolv.conf && echo resolv-ok"), 0);

        assertThat(mounts).contains("proc /proc proc", "sysfs /sys sysfs", "tmpfs /dev tmpfs", "devpts /dev/pts devpts",
                "tmpfs /run tmpfs", "tmpfs /tmp tmpfs", "sys-ok", "pts-ok");
        assertThat(mounts.lines()).contains("4");
        if (Files.isRegularFile(Path.of("/etc/resolv.conf")) && Files.size(Path.of("/etc/resolv.conf")) > 0) {
            assertThat(mounts).contains("resolv-ok");
        }
    }

    @Test
    void exitStatusIsPassedThroughAndNothingStaysMounted() throws Exception {
        run(List.of("/bin/sh", "-c", "exit 42"), 42);
        run(List.of("/no/such/command"), 127);

        assertThat(hostMountsUnder(tree)).isEmpty();
    }

    @Test
    void killedCommandLeavesNothingMounted() throws Exception {
        Process process = NamespaceExec.start(NamespaceExec.Request.of(tree, List.of("sleep", "600")),
                ProcessBuilder.Redirect.from(new File("/dev/null")), ProcessBuilder.Redirect.DISCARD,
                ProcessBuilder.Redirect.INHERIT);
        // The command runs once the namespace and its mounts are set up.
        ProcessHandle sleeper = await().atMost(Duration.ofMinutes(1)).until(() -> process.descendants()
                .filter(p -> p.info().commandLine().orElse("").contains("sleep 600")).findFirst(), Optional::isPresent).get();
        assertThat(process.isAlive()).isTrue();
        assertThat(hostMountsUnder(tree)).as("mounts of the namespace never show on the host").isEmpty();

        process.destroyForcibly();
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        // --kill-child takes the namespace down with unshare: the command inside is killed too (the kernel
        // delivers that as unshare dies, so it is waited for, not looked for at once).
        sleeper.onExit().get(20, TimeUnit.SECONDS);
        assertThat(sleeper.isAlive()).as("the command inside the killed namespace").isFalse();
        assertThat(hostMountsUnder(tree)).isEmpty();
    }

    @Test
    void bindMountsAHostDirectoryForTheCommandOnly() throws Exception {
        Path shared = Files.createDirectories(work.resolve("shared"));
        Files.writeString(shared.resolve("hello.txt"), "from the host");
        NamespaceExec.Request request = new NamespaceExec.Request(tree,
                List.of(BindMount.parse(shared + ":/mnt/shared")), List.of("cat", "/mnt/shared/hello.txt"),
                java.util.Map.of(), "imgutil");

        assertThat(run(request, 0)).isEqualTo("from the host");
        assertThat(tree.resolve("mnt/shared/hello.txt")).doesNotExist();
        assertThat(hostMountsUnder(tree)).isEmpty();
    }

    @Test
    void badTreesAreOneClearError() throws Exception {
        Path file = Files.writeString(work.resolve("not-a-dir"), "x");
        assertThatThrownBy(() -> NamespaceExec.processBuilder(NamespaceExec.Request.of(work.resolve("missing"), List.of())))
                .isInstanceOf(UserError.class).hasMessageEndingWith("missing does not exist");
        assertThatThrownBy(() -> NamespaceExec.processBuilder(NamespaceExec.Request.of(file, List.of())))
                .isInstanceOf(UserError.class).hasMessageContaining("is not a directory");
    }
}
