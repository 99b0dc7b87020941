package dev.tether.agent.root;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.NativeLong;
import com.sun.nio.file.ExtendedOpenOption;
import dev.tether.agent.HostRequirements;
import dev.tether.agent.Libc;
import dev.tether.agent.SquashfsTrees;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The loop devices the agent makes for its squashfs, with the kernel's loop driver: through LOOP_CONFIGURE, and through
 * the three calls a kernel before 5.8 takes, which this machine's kernel also answers.
 */
class LoopDeviceTest {
    @TempDir
    Path temp;

    @BeforeEach
    void requirements() {
        HostRequirements.root();
        HostRequirements.filesystem("squashfs");
        HostRequirements.tools("mksquashfs");
    }

    @ParameterizedTest(name = "LOOP_CONFIGURE: {0}")
    @ValueSource(booleans = {true, false})
    void aFileIsMountedReadOnlyWithDirectIoAndItsDeviceGoesWithTheUnmount(boolean configure) throws Exception {
        Path image = SquashfsTrees.pack(Map.of("etc/motd", "hello\n"), temp.resolve("tree"), temp.resolve("root.sfs"));
        // The loop driver reads with direct I/O only a file that takes O_DIRECT (ext4 or xfs do; a tmpfs before Linux
        // 6.6 does not).
        try (FileChannel direct = FileChannel.open(image, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
            assertThat(direct.isOpen()).isTrue();
        } catch (IOException e) {
            assumeTrue(false, "SKIPPED: the temporary directory's filesystem takes no O_DIRECT (" + e.getMessage() + ")");
        }
        Path mountPoint = Files.createDirectories(temp.resolve("mnt"));
        Path sysfs;
        try (LoopDevice loop = LoopDevice.attach(image, true, configure)) {
            sysfs = Path.of("/sys/block", loop.path().getFileName().toString());
            assertThat(Files.readString(sysfs.resolve("loop/backing_file")).strip()).isEqualTo(image.toString());
            assertThat(Files.readString(sysfs.resolve("ro")).strip()).as("read-only").isEqualTo("1");
            assertThat(Files.readString(sysfs.resolve("loop/autoclear")).strip()).as("autoclear").isEqualTo("1");
            assertThat(loop.readsWithDirectIo()).as("direct I/O on ext4").isTrue();
            assertThat(Libc.get().mount(loop.path().toString(), mountPoint.toString(), "squashfs",
                    new NativeLong(1), null)).isZero();
        }
        try {
            assertThat(mountPoint.resolve("etc/motd")).hasContent("hello\n");
            assertThat(Files.readString(sysfs.resolve("loop/backing_file")).strip()).as("held by the mount")
                    .isEqualTo(image.toString());
        } finally {
            new Mounter(HostTools.fromEnvironment()).unmount(mountPoint);
        }
        assertThat(OverlayRootTest.loopDevicesOver(image)).as("freed by the unmount").isEmpty();
    }

    @Test
    void aDeviceNothingWasMountedFromGoesWhenClosed() throws Exception {
        Path image = SquashfsTrees.pack(Map.of("a", "b"), temp.resolve("tree"), temp.resolve("root.sfs"));
        LoopDevice.attach(image, false).close();
        assertThat(OverlayRootTest.loopDevicesOver(image)).isEmpty();
    }

    @Test
    void aMountedSquashfsMovesOntoACopyOfItsFileAndLetsTheFirstGo() throws Exception {
        Path image = SquashfsTrees.pack(Map.of("etc/motd", "hello\n", "usr/bin/tool", "x".repeat(300_000)),
                temp.resolve("tree"), temp.resolve("served.sfs"));
        Path copy = Files.copy(image, temp.resolve("copy.sfs"));
        Path mountPoint = temp.resolve("lower");
        SquashfsLower lower = SquashfsLower.mountMovable(image, mountPoint, new Mounter(HostTools.fromEnvironment()));
        try {
            assertThat(mountPoint.resolve("etc/motd")).hasContent("hello\n");
            lower.moveTo(copy);
            assertThat(OverlayRootTest.loopDevicesOver(image)).as("the first file let go").isEmpty();
            assertThat(OverlayRootTest.loopDevicesOver(copy)).hasSize(1);
            // Gone for good: whatever the squashfs reads from now on comes from the copy.
            Files.delete(image);
            assertThat(mountPoint.resolve("usr/bin/tool")).hasContent("x".repeat(300_000));
            assertThat(mountPoint.resolve("etc/motd")).hasContent("hello\n");
        } finally {
            lower.close();
        }
        assertThat(OverlayRootTest.loopDevicesOver(copy)).as("freed by the unmount").isEmpty();
    }

    @Test
    void aDeviceIsNotMovedOntoAFileOfAnotherSize() throws Exception {
        Path image = SquashfsTrees.pack(Map.of("a", "b"), temp.resolve("tree"), temp.resolve("root.sfs"));
        Path longer = Files.copy(image, temp.resolve("longer.sfs"));
        Files.write(longer, new byte[4096], StandardOpenOption.APPEND);
        try (LoopDevice loop = LoopDevice.attach(image, false)) {
            assertThatThrownBy(() -> loop.changeBackingFile(longer)).isInstanceOf(RootSetupException.class)
                    .hasMessage("cannot move " + loop.path() + " onto " + longer + ": Invalid argument (errno 22); the"
                            + " device must be read-only and the file as large as the one it reads");
            assertThat(Files.readString(Path.of("/sys/block", loop.path().getFileName().toString(), "loop/backing_file"))
                    .strip()).isEqualTo(image.toString());
        }
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = temp.resolve("no-such.sfs");
        assertThatThrownBy(() -> LoopDevice.attach(missing, false)).isInstanceOf(RootSetupException.class)
                .hasMessage("cannot open " + missing + " for its loop device: No such file or directory (errno 2)");
    }
}
