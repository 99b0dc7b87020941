package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.image.format.RootImagePin;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The untethered root for real: downloaded from three edges into a fresh tmpfs, loop-mounted, compared. */
class UntetheredMountTest {
    private static TestImage image;

    @TempDir
    Path dir;

    @BeforeAll
    static void buildImage() throws Exception {
        Tools.assumeRealMounts();
        image = TestImage.shared();
    }

    @Test
    void downloadedFromThreeEdgesIntoTmpfsMountedAndIdenticalAtTheCostOfTheSquashfs() throws Exception {
        try (TestEdges edges = TestEdges.start(dir, image.container, 3)) {
            MountCheckProcess process = new MountCheckProcess();
            process.run(List.of("method=untethered",
                    "edges=" + edges.urls().stream().map(URI::toString).collect(Collectors.joining(",")),
                    "digest=" + image.digest, "key=" + image.keyHex(), "work=" + dir.resolve("work"),
                    "tree=" + image.tree), line -> { }, 180);
            long[] result = process.result();
            assertThat(result[1]).as("mismatching files").isZero();
            assertThat(result[2]).as("read errors").isZero();
            String[] tmpfs = process.first("TMPFS").split(" ");
            long used = Long.parseLong(tmpfs[1]);
            long squashfs = Files.size(image.squashfs);
            assertThat(Long.parseLong(tmpfs[2])).isEqualTo(squashfs);
            assertThat(used).as("tmpfs memory is the compressed size, within a few pages")
                    .isBetween(squashfs, squashfs + 64 * 1024);
            assertThat(process.lines).anySatisfy(line -> assertThat(line).startsWith("DOWNLOAD ").endsWith("done"));
        }
    }

    @Test
    void servedFromTheEdgesUntilItsCopyInRamIsCompleteThenReadFromTheCopyAlone() throws Exception {
        try (TestEdges edges = TestEdges.start(dir, image.container, 3)) {
            MountCheckProcess process = new MountCheckProcess();
            String pin = String.join(",", Long.toString(Files.size(image.container)),
                    RootImagePin.headerDigest(image.header), Integer.toString(TestImage.CHUNK_SIZE),
                    Long.toString(Files.size(image.squashfs)));
            process.run(List.of("method=untethered-served",
                    "edges=" + edges.urls().stream().map(URI::toString).collect(Collectors.joining(",")),
                    "digest=" + image.digest, "key=" + image.keyHex(), "work=" + dir.resolve("work"),
                    "tree=" + image.tree, "pin=" + pin), line -> { }, 180);
            assertThat(process.first("LOWER")).as("booted from the FUSE file first").isEqualTo("LOWER direct I/O");
            // Asked for while a reader was still reading the whole tree, the copy started only after its reads had paused.
            assertThat(Long.parseLong(process.first("COPY-AFTER-READS").split(" ")[1])).as("ms from the reader's end to the copy's start")
                    .isNotNegative();
            // The squashfs now reads the copy; the FUSE file is unmounted and its reader closed, so every file compared
            // below came from RAM.
            assertThat(process.first("MOVED")).isEqualTo("MOVED " + dir.resolve("work/ram/root.sfs") + " false false");
            long[] result = process.result();
            assertThat(result[1]).as("mismatching files").isZero();
            assertThat(result[2]).as("read errors").isZero();
            String[] tmpfs = process.first("TMPFS").split(" ");
            long squashfs = Files.size(image.squashfs);
            assertThat(Long.parseLong(tmpfs[2])).isEqualTo(squashfs);
            assertThat(Long.parseLong(tmpfs[1])).as("tmpfs memory is the compressed size, within a few pages")
                    .isBetween(squashfs, squashfs + 64 * 1024);
        }
    }
}
