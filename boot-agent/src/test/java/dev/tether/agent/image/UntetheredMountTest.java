package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.image.format.RootImagePin;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
            MountCheckProcess process = check(edges, "untethered");
            assertIdenticalInTmpfsAtTheSquashfsSize(process);
            assertThat(process.lines).anySatisfy(line -> assertThat(line).startsWith("DOWNLOAD ").endsWith("done"));
        }
    }

    @Test
    void servedFromTheEdgesUntilItsCopyInRamIsCompleteThenReadFromTheCopyAlone() throws Exception {
        try (TestEdges edges = TestEdges.start(dir, image.container, 3)) {
            String pin = String.join(",", Long.toString(Files.size(image.container)),
                    RootImagePin.headerDigest(image.header), Integer.toString(TestImage.CHUNK_SIZE),
                    Long.toString(Files.size(image.squashfs)));
            MountCheckProcess process = check(edges, "untethered-served", "pin=" + pin);
            assertThat(process.first("LOWER")).as("booted from the FUSE file first").isEqualTo("LOWER direct I/O");
            // Asked for while a reader was still reading the whole tree, the copy started only after its reads had paused.
            assertThat(Long.parseLong(process.first("COPY-AFTER-READS").split(" ")[1])).as("ms from the reader's end to the copy's start")
                    .isNotNegative();
            // The squashfs now reads the copy; the FUSE file is unmounted and its reader closed, so every file compared
            // below came from RAM.
            assertThat(process.first("MOVED")).isEqualTo("MOVED " + dir.resolve("work/ram/root.sfs") + " false false");
            assertIdenticalInTmpfsAtTheSquashfsSize(process);
        }
    }

    /** Runs {@link MountCheck} with {@code method} over {@code edges} and the shared image, and {@code more} arguments. */
    private MountCheckProcess check(TestEdges edges, String method, String... more) throws Exception {
        List<String> arguments = new ArrayList<>(List.of("method=" + method,
                "edges=" + edges.urls().stream().map(URI::toString).collect(Collectors.joining(",")),
                "digest=" + image.digest, "key=" + image.keyHex(), "work=" + dir.resolve("work"), "tree=" + image.tree));
        arguments.addAll(List.of(more));
        MountCheckProcess process = new MountCheckProcess();
        process.run(arguments, line -> { }, 180);
        return process;
    }

    /** Every file identical to the source tree, and the RAM disk holding the squashfs's size, within a few pages. */
    private static void assertIdenticalInTmpfsAtTheSquashfsSize(MountCheckProcess process) throws Exception {
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
