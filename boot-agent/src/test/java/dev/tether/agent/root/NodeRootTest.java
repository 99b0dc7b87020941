package dev.tether.agent.root;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.HostRequirements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's root as an agent left behind in the initramfs reaches it, with real mounts: a {@code /run} of its own that
 * is then moved elsewhere, as the initramfs moves {@code /run} into the node's root before switching to it.
 * {@link NodeRoot#enter} changes the root of the whole process, so it is not called in a test JVM; the VM suite's
 * untethered boot runs it.
 */
class NodeRootTest {
    @TempDir
    Path temp;

    @BeforeEach
    void requirements() {
        HostRequirements.root();
    }

    @Test
    void aMountUnderTheHeldRunIsDetachedWhereverRunWasMovedTo() throws Exception {
        // A mount cannot be moved from under a shared one (the host's / is): everything under a private tmpfs.
        Path base = Files.createDirectories(temp.resolve("initramfs"));
        Mounter mounter = new Mounter(HostTools.fromEnvironment());
        mounter.mount("tmpfs", "size=1m", "tmpfs", base, "tmpfs");
        assertThat(new ProcessBuilder("mount", "--make-private", base.toString()).inheritIO().start().waitFor()).isZero();
        Path run = Files.createDirectories(base.resolve("run"));
        Path moved = Files.createDirectories(base.resolve("root/run"));
        mounter.mount("tmpfs", "size=1m", "tmpfs", run, "tmpfs");
        Path runtime = Files.createDirectories(run.resolve("tether/agent-runtime"));
        mounter.mount("tmpfs", "size=1m", "tmpfs", runtime, "tmpfs");
        NodeRoot root = NodeRoot.holding(run);
        Path cwd = Path.of("").toAbsolutePath();
        try {
            assertThat(new ProcessBuilder("mount", "--move", run.toString(), moved.toString()).inheritIO().start()
                    .waitFor()).as("mount --move").isZero();
            assertThat(Mounter.isMountPoint(moved.resolve("tether/agent-runtime"))).isTrue();
            // The path it was mounted at no longer leads to it.
            root.detach(runtime);
            assertThat(Mounter.isMountPoint(moved.resolve("tether/agent-runtime"))).as("detached").isFalse();
            assertThat(Mounter.isMountPoint(moved)).as("run itself stays").isTrue();
        } finally {
            restoreWorkingDirectory(cwd);
            unmountQuietly(moved.resolve("tether/agent-runtime"), moved, run.resolve("tether/agent-runtime"), run, base);
        }
    }

    @Test
    void aDirectoryThatIsNotAMountHoldsNothing() throws Exception {
        assertThat(NodeRoot.holding(Files.createDirectories(temp.resolve("run")))).isSameAs(NodeRoot.STAY);
    }

    /** detach changes the working directory of the test JVM; relative paths must keep working for the other tests. */
    private static void restoreWorkingDirectory(Path cwd) {
        dev.tether.agent.Libc.get().chdir(cwd.toString());
    }

    private static void unmountQuietly(Path... mountPoints) {
        for (Path mountPoint : mountPoints) {
            try {
                if (Mounter.isMountPoint(mountPoint)) {
                    dev.tether.agent.Libc.get().umount2(mountPoint.toString(), dev.tether.agent.Libc.MNT_DETACH);
                }
            } catch (IOException e) {
                // The temporary directory's cleanup names what is left.
            }
        }
    }
}
