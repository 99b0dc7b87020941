package dev.tether.agent.root;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.HostRequirements;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The zram-backed xfs writable layer, on a real zram device. */
class WritableLayerTest {
    private static final long DEVICE_BYTES = 512L << 20;
    private static final int WRITTEN_MIB = 100;

    @TempDir
    Path temp;

    private final Mounter mounter = new Mounter(HostTools.fromEnvironment());

    @BeforeEach
    void requirements() {
        HostRequirements.zram();
        HostRequirements.filesystem("xfs");
        HostRequirements.tools("mount", "umount", "mkfs.xfs", "fstrim");
    }

    @Test
    void writesAreCompressedOnZramAndDeletingGivesTheMemoryBack() throws Exception {
        Path mountPoint = temp.resolve("rw");
        ZramStats written;
        ZramStats deleted;
        try (WritableLayer layer = WritableLayer.create(
                new ZramSettings(new ZramSize.Bytes(DEVICE_BYTES), Optional.empty()), 0, mountPoint, mounter)) {
            ZramDevice device = layer.device();
            assertThat(device.disksize()).isEqualTo(DEVICE_BYTES);
            assertThat(Mounter.isMountPoint(mountPoint)).isTrue();
            // noatime is a flag of mount(2), discard xfs's own option: the agent's Mounter tells them apart as mount(8) does.
            assertThat(mountOptions(mountPoint)).contains("noatime").contains("discard");

            Path file = layer.upperDir().resolve("data");
            writeHalfCompressible(file, WRITTEN_MIB);
            written = device.stats();
            assertThat(written.origDataSize()).isGreaterThanOrEqualTo((long) WRITTEN_MIB << 20);
            // Half of every page is zeros, so the data must have compressed to well below its size.
            assertThat(written.comprDataSize()).isLessThan(written.origDataSize() * 3 / 4);
            assertThat(written.memUsedTotal()).isGreaterThanOrEqualTo(written.comprDataSize());

            Files.delete(file);
            // The discard mount option discards freed extents when the log commits (syncfs forces
            // that); fstrim covers what online discard has not reached yet. zram frees the pages
            // as the discards arrive, which may trail the commands a little on a busy machine.
            runTool("sync", "-f", mountPoint.toString());
            runTool("fstrim", mountPoint.toString());
            // Until zram has freed the pages, with a deadline generous for a machine busy with other work; the
            // assertion below says what was left if it never did.
            ZramStats[] last = {device.stats()};
            long usedWhenWritten = written.memUsedTotal();
            try {
                Awaitility.await("zram freeing the deleted file's pages").atMost(Duration.ofMinutes(1))
                        .pollInterval(Duration.ofMillis(100)).until(() -> {
                            device.compact();
                            last[0] = device.stats();
                            return last[0].memUsedTotal() < usedWhenWritten / 10;
                        });
            } catch (ConditionTimeoutException e) {
                // Reported by the assertion below, with the figures.
            }
            deleted = last[0];
        }
        System.out.printf("zram mm_stat: after writing %d MiB: orig %d compr %d used %d; after delete: used %d%n",
                WRITTEN_MIB, written.origDataSize(), written.comprDataSize(), written.memUsedTotal(),
                deleted.memUsedTotal());
        assertThat(deleted.memUsedTotal()).isLessThan(written.memUsedTotal() / 10);
        assertThat(Mounter.isMountPoint(mountPoint)).isFalse();
    }

    @Test
    void closingResetsTheDevice() throws Exception {
        Path mountPoint = temp.resolve("rw");
        String name;
        try (WritableLayer layer = WritableLayer.create(
                new ZramSettings(new ZramSize.Bytes(DEVICE_BYTES), Optional.empty()), 0, mountPoint, mounter)) {
            name = layer.device().name();
            Files.writeString(layer.upperDir().resolve("hello"), "hello");
        }
        Path sysfs = Path.of("/sys/block", name);
        // Either removed again (it was hot-added) or reset to unconfigured.
        if (Files.exists(sysfs)) {
            assertThat(Files.readString(sysfs.resolve("disksize")).strip()).isEqualTo("0");
        }
        assertThat(Mounter.isMountPoint(mountPoint)).isFalse();
    }

    @Test
    void anAlgorithmTheKernelLacksIsNamedWithTheOnesItOffers() throws Exception {
        Path mountPoint = temp.resolve("rw");
        ZramSettings settings = new ZramSettings(new ZramSize.Bytes(DEVICE_BYTES), Optional.of("no-such-alg"));
        try {
            WritableLayer.create(settings, 0, mountPoint, mounter).close();
            throw new AssertionError("an unknown algorithm was accepted");
        } catch (RootSetupException e) {
            assertThat(e.getMessage())
                    .contains("zram compression algorithm no-such-alg is not offered by this kernel")
                    .contains("tether.zram_alg");
        }
        assertThat(Mounter.isMountPoint(mountPoint)).isFalse();
    }

    @Test
    void aSmallerLayerThanXfsAllowsIsRefusedBeforeTouchingZram() {
        ZramSettings settings = new ZramSettings(new ZramSize.Bytes(256L << 20), Optional.empty());
        try {
            WritableLayer.create(settings, 0, temp.resolve("rw"), mounter).close();
            throw new AssertionError("a 256 MiB layer was accepted");
        } catch (RootSetupException e) {
            assertThat(e.getMessage()).contains("256 MiB").contains("below xfs's minimum of 300 MiB");
        }
    }

    @Test
    void theAlgorithmFromTheProfileIsSet() throws Exception {
        String offered = Files.readString(Path.of("/sys/block/zram0/comp_algorithm"));
        String wanted = List.of(offered.replace("[", "").replace("]", "").strip().split("\\s+")).getLast();
        try (WritableLayer layer = WritableLayer.create(
                new ZramSettings(new ZramSize.Bytes(DEVICE_BYTES), Optional.of(wanted)), 0, temp.resolve("rw"), mounter)) {
            assertThat(layer.device().algorithm()).isEqualTo(wanted);
        }
    }

    /** Each 4 KiB page: 2 KiB of random bytes, then 2 KiB of zeros. */
    private static void writeHalfCompressible(Path file, int mebibytes) throws IOException {
        Random random = new Random(42);
        byte[] page = new byte[4096];
        ByteBuffer block = ByteBuffer.allocate(1 << 20);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int mib = 0; mib < mebibytes; mib++) {
                block.clear();
                while (block.hasRemaining()) {
                    random.nextBytes(page);
                    Arrays.fill(page, 2048, 4096, (byte) 0);
                    block.put(page);
                }
                block.flip();
                while (block.hasRemaining()) {
                    channel.write(block);
                }
            }
            channel.force(true);
        }
    }

    private static String mountOptions(Path mountPoint) throws IOException {
        String wanted = mountPoint.toAbsolutePath().toString();
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(line -> line.split(" "))
                .filter(fields -> fields[4].equals(wanted))
                .map(fields -> fields[5] + " " + fields[fields.length - 1])
                .findFirst().orElse("");
    }

    private static void runTool(String... command) throws Exception {
        Process process = new ProcessBuilder(command).inheritIO().start();
        assertThat(process.waitFor()).as(String.join(" ", command)).isZero();
    }
}
