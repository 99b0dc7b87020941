package dev.tether.agent.root;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.HostRequirements;
import dev.tether.agent.SquashfsTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The root as the node gets it: squashfs lower, zram xfs upper, overlay at the target. Real mounts. */
class OverlayRootTest {
    /** S_IFMT and S_IFCHR from stat(2): overlayfs marks a deleted lower file with a 0/0 character device. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;

    @TempDir
    Path temp;

    private final Mounter mounter = new Mounter(HostTools.fromEnvironment());

    @BeforeEach
    void requirements() {
        HostRequirements.zram();
        HostRequirements.filesystem("xfs");
        HostRequirements.filesystem("squashfs");
        HostRequirements.filesystem("overlay");
        HostRequirements.tools("mkfs.xfs", "mksquashfs");
    }

    @Test
    void lowerFilesShowWritesLandOnZramAndDeletesLeaveWhiteouts() throws Exception {
        Map<String, String> files = SquashfsTrees.sampleFiles();
        Path image = SquashfsTrees.pack(files, temp.resolve("tree"), temp.resolve("root.sfs"));
        Path target = temp.resolve("sysroot");
        Path lowerDir = temp.resolve("lower");
        Path rwDir = temp.resolve("rw");
        String zramName;

        try (SquashfsLower lower = SquashfsLower.mount(image, lowerDir, mounter);
                WritableLayer writable = WritableLayer.create(
                        new ZramSettings(new ZramSize.Bytes(512L << 20), Optional.empty()), 0, rwDir, mounter);
                OverlayRoot root = OverlayRoot.mount(lower, writable, target, mounter)) {
            zramName = writable.device().name();

            for (Map.Entry<String, String> file : files.entrySet()) {
                assertThat(target.resolve(file.getKey())).hasContent(file.getValue());
            }

            Files.writeString(target.resolve("etc/written-at-boot"), "new file\n");
            Files.writeString(target.resolve("etc/motd"), "changed\n");
            assertThat(writable.upperDir().resolve("etc/written-at-boot")).hasContent("new file\n");
            assertThat(writable.upperDir().resolve("etc/motd")).hasContent("changed\n");
            assertThat(lowerDir.resolve("etc/motd")).hasContent(files.get("etc/motd"));
            assertThat(lowerDir.resolve("etc/written-at-boot")).doesNotExist();

            Files.delete(target.resolve("etc/hostname"));
            assertThat(target.resolve("etc/hostname")).doesNotExist();
            Path whiteout = writable.upperDir().resolve("etc/hostname");
            int mode = (Integer) Files.getAttribute(whiteout, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            long rdev = (Long) Files.getAttribute(whiteout, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
            assertThat(mode & S_IFMT).as("file type of the whiteout").isEqualTo(S_IFCHR);
            assertThat(rdev).as("device number of the whiteout").isZero();
            assertThat(lowerDir.resolve("etc/hostname")).exists();

            assertThat(writable.device().stats().origDataSize()).isPositive();
            assertThat(Mounter.isMountPoint(target)).isTrue();
            // The squashfs's loop device, made by the agent as mount -o loop,ro would: read-only, and freed by the unmount.
            assertThat(loopDevicesOver(image)).hasSize(1);
            Path loop = Path.of("/sys/block", loopDevicesOver(image).getFirst());
            assertThat(Files.readString(loop.resolve("ro")).strip()).isEqualTo("1");
            assertThat(Files.readString(loop.resolve("loop/autoclear")).strip()).isEqualTo("1");
        }

        assertThat(Mounter.isMountPoint(target)).isFalse();
        assertThat(Mounter.isMountPoint(rwDir)).isFalse();
        assertThat(Mounter.isMountPoint(lowerDir)).isFalse();
        Path sysfs = Path.of("/sys/block", zramName);
        if (Files.exists(sysfs)) {
            assertThat(Files.readString(sysfs.resolve("disksize")).strip()).isEqualTo("0");
        }
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(image.toString());
        assertThat(loopDevicesOver(image)).as("the squashfs's loop device went with its unmount").isEmpty();
    }

    @Test
    void aFileThatIsNotSquashfsIsReportedWithWhatToCheck() throws Exception {
        Path notAnImage = Files.writeString(temp.resolve("garbage.sfs"), "not a squashfs");
        Path lowerDir = temp.resolve("lower");
        try {
            SquashfsLower.mount(notAnImage, lowerDir, mounter).close();
            throw new AssertionError("garbage was mounted");
        } catch (RootSetupException e) {
            assertThat(e.getMessage()).startsWith("mounting squashfs " + notAnImage + " (through /dev/loop")
                    .contains(" on " + lowerDir + " failed: ").contains("must be a squashfs image").doesNotContain("\n");
        }
        assertThat(Mounter.isMountPoint(lowerDir)).isFalse();
        assertThat(loopDevicesOver(notAnImage)).as("the loop device made for the failed mount is gone").isEmpty();
    }

    /** The loop devices bound to {@code file}, as the loop driver lists their backing files. */
    static List<String> loopDevicesOver(Path file) throws IOException {
        try (Stream<Path> devices = Files.list(Path.of("/sys/block"))) {
            return devices.filter(device -> device.getFileName().toString().startsWith("loop")).filter(device -> {
                try {
                    return Files.readString(device.resolve("loop/backing_file")).strip().equals(file.toString());
                } catch (IOException unbound) {
                    return false;
                }
            }).map(device -> device.getFileName().toString()).toList();
        }
    }
}
