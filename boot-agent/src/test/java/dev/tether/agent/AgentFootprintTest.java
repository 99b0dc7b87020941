package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading /proc for the agent's memory: the status sizes, RAM filesystems, and this very process. */
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
                AgentFootprint.deviceNumber(0, 21), AgentFootprint.deviceNumber(0, 23));
        // glibc's makedev, as stat(2) reports st_dev: 259:3 is 0x10303.
        assertThat(AgentFootprint.deviceNumber(259, 3)).isEqualTo(0x10303L);
        assertThat(AgentFootprint.deviceNumber(0, 300)).isEqualTo(0x10002cL);
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
}
