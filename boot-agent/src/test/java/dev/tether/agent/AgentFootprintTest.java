package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.agent.root.DeviceNumber;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading /proc for the agent's memory: the status sizes, RAM filesystems, the files behind loop devices, and this very
 * process.
 */
class AgentFootprintTest {
    @TempDir
    Path temp;

    @Test
    void statusSizesAreInBytes() throws Exception {
        Path status = Files.writeString(temp.resolve("status"), "Name:\tjava\nVmRSS:\t  122652 kB\nRssAnon:\t   91048 kB\n"
                + "Threads:\t33\n");
        assertThat(AgentFootprint.status(status)).containsEntry("RssAnon", 91048L * 1024).containsEntry("VmRSS", 122652L * 1024)
                .doesNotContainKey("Threads");
    }

    @Test
    void onlyRamFilesystemsCountAndTheirDevicesMatchStat() throws Exception {
        Path mountinfo = Files.writeString(temp.resolve("mountinfo"), """
                22 1 0:21 / / rw,relatime - rootfs rootfs rw
                25 22 0:23 / /run rw,nosuid,nodev - tmpfs tmpfs rw,mode=755
                30 22 259:3 / /data rw,relatime - ext4 /dev/nvme0n1p3 rw
                31 22 0:45 / /run/tether/image rw - fuse fuse rw,user_id=0
                """);
        assertThat(AgentFootprint.ramDevices(mountinfo)).containsExactlyInAnyOrder(
                new DeviceNumber(0, 21).encoded(), new DeviceNumber(0, 23).encoded());
        // glibc's makedev, as stat(2) reports st_dev: 259:3 is 0x10303.
        assertThat(new DeviceNumber(259, 3).encoded()).isEqualTo(0x10303L);
        assertThat(new DeviceNumber(0, 300).encoded()).isEqualTo(0x10002cL);
    }

    @Test
    void thisProcessHasAnonymousMemoryAndAFileOnTmpfsCountsOnceWhileOpen() throws Exception {
        Path shm = Path.of("/dev/shm");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "SKIPPED: no /dev/shm");
        AgentFootprint before = AgentFootprint.measure();
        assertThat(before.rssAnonBytes()).isPositive();
        Path file = Files.createTempFile(shm, "tether-footprint-", ".bin");
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.allocate(3 << 20));
            AgentFootprint open = AgentFootprint.measure();
            assertThat(open.heldFileBytes() - before.heldFileBytes()).isEqualTo(3L << 20);
            assertThat(open.heldFiles()).isEqualTo(before.heldFiles() + 1);
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void deviceNumbersSplitBackIntoMajorAndMinor() {
        long device = new DeviceNumber(259, 300).encoded();
        assertThat(DeviceNumber.decode(device)).isEqualTo(new DeviceNumber(259, 300));
        assertThat(DeviceNumber.decode(new DeviceNumber(7, 3).encoded())).hasToString("7:3");
    }

    @Test
    void mountPointsAreUnescaped() throws Exception {
        Path mountinfo = Files.writeString(temp.resolve("mountinfo"), """
                40 22 7:3 / /usr/lib/tether/agent/run\\040time ro,nodev,nosuid - squashfs /dev/loop3 ro
                """);
        assertThat(AgentFootprint.mounts(mountinfo)).containsExactly(
                new AgentFootprint.Mount(new DeviceNumber(7, 3).encoded(), "/usr/lib/tether/agent/run time", "squashfs"));
    }

    /**
     * After the switch to the real root the initramfs's files are deleted, and the loop device names its file
     * "(deleted)": the kernel still holds it, in RAM when the name was on the initramfs, at the loop device's size.
     */
    @Test
    void aDeletedBackingFileCountsByTheMountItWasOnAndTheLoopDevicesSize() throws Exception {
        Path sys = temp.resolve("sys-dev-block");
        Files.createDirectories(sys.resolve("7:3/loop"));
        Files.writeString(sys.resolve("7:3/loop/backing_file"), "/usr/lib/tether/agent/agent.squashfs (deleted)\n");
        Files.writeString(sys.resolve("7:3/size"), "35328\n");
        Files.createDirectories(sys.resolve("7:4/loop"));
        Files.writeString(sys.resolve("7:4/loop/backing_file"), "/data/agent.squashfs (deleted)\n");
        Files.writeString(sys.resolve("7:4/size"), "35328\n");
        Files.createDirectories(sys.resolve("259:3"));
        List<AgentFootprint.Mount> mounts = List.of(new AgentFootprint.Mount(new DeviceNumber(0, 1).encoded(), "/", "rootfs"),
                new AgentFootprint.Mount(new DeviceNumber(259, 3).encoded(), "/data", "ext4"));

        assertThat(AgentFootprint.heldBackingFile(sys, new DeviceNumber(7, 3).encoded(), mounts)).hasValue(35328L * 512);
        assertThat(AgentFootprint.heldBackingFile(sys, new DeviceNumber(7, 4).encoded(), mounts)).as("on a disk").isEmpty();
        assertThat(AgentFootprint.heldBackingFile(sys, new DeviceNumber(259, 3).encoded(), mounts)).as("no loop device").isEmpty();
        assertThat(AgentFootprint.heldBackingFile(sys, new DeviceNumber(7, 9).encoded(), mounts)).as("no such device").isEmpty();
    }

    /**
     * The launcher's shape, for real: a squashfs file on a tmpfs, loop-mounted, and files of the mount held by this
     * process. The squashfs file counts, once, though no fd or map of the process names it.
     */
    @Test
    void filesOnALoopMountedSquashfsCountTheSquashfsFileOnTmpfsOnce() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "SKIPPED: loop-mounting needs root; run the tests as root");
        assumeTrue(Files.exists(Path.of("/dev/loop-control")), "SKIPPED: /dev/loop-control is missing (modprobe loop)");
        assumeTrue(Files.readString(Path.of("/proc/filesystems")).contains("squashfs"), "SKIPPED: the kernel lacks squashfs");
        assumeTrue(Files.isDirectory(Path.of("/dev/shm")), "SKIPPED: no /dev/shm");
        Path content = Files.createDirectories(temp.resolve("content"));
        byte[] random = new byte[2 << 20];
        new java.util.Random(16).nextBytes(random);
        Files.write(content.resolve("a.bin"), random);
        Files.write(content.resolve("b.bin"), random);
        Path squashfs = Files.createTempFile(Path.of("/dev/shm"), "tether-footprint-", ".squashfs");
        Path mountPoint = Files.createDirectories(temp.resolve("mount"));
        try {
            run("mksquashfs", content.toString(), squashfs.toString(), "-noappend", "-quiet", "-no-progress", "-comp", "zstd");
            AgentFootprint before = AgentFootprint.measure();
            run("mount", "-t", "squashfs", "-o", "ro,loop", squashfs.toString(), mountPoint.toString());
            try (var a = java.nio.channels.FileChannel.open(mountPoint.resolve("a.bin"));
                 var b = java.nio.channels.FileChannel.open(mountPoint.resolve("b.bin"))) {
                AgentFootprint open = AgentFootprint.measure();
                assertThat(open.heldFileBytes() - before.heldFileBytes()).as(open.describe()).isEqualTo(Files.size(squashfs));
                assertThat(open.heldFiles()).isEqualTo(before.heldFiles() + 1);
            } finally {
                run("umount", mountPoint.toString());
            }
        } finally {
            Files.deleteIfExists(squashfs);
        }
    }

    private static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(String.join(" ", command) + ": " + output).isZero();
    }
}
