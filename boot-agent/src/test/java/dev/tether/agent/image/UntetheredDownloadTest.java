package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The untethered download in this JVM (no root needed): striped over three edges, byte-identical. */
class UntetheredDownloadTest {
    private static TestImage image;

    @TempDir
    Path dir;

    @BeforeAll
    static void buildImage() throws Exception {
        Tools.assumeMksquashfs();
        image = TestImage.shared();
    }

    @Test
    void theDownloadIsThePlainSquashfsFetchedFromEveryEdgeWithProgress() throws Exception {
        List<DownloadProgress> progress = new CopyOnWriteArrayList<>();
        try (TestEdges edges = TestEdges.start(dir, image.container, 3)) {
            FetchSettings fetch = FetchSettings.defaults().withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(3))
                    .withConsole(line -> { });
            try (RootImageMount mount = RootImageMount.untethered(edges.urls(), image.digest, image.key,
                    dir.resolve("ram"), progress::add, fetch)) {
                assertThat(mount.servedByThisProcess()).isFalse();
                assertThat(mount.squashfsFile()).hasSameBinaryContentAs(image.squashfs);
                assertThat(mount.stats().integrityFailures()).isZero();
            }
            assertThat(Files.exists(dir.resolve("ram").resolve(RootImageMount.FILE_NAME))).as("close deletes the file").isFalse();
        }
        DownloadProgress last = progress.getLast();
        assertThat(last.done()).isTrue();
        assertThat(last.bytesDone()).isEqualTo(Files.size(image.squashfs));
        assertThat(last.describe()).endsWith("done");
    }

    @Test
    void progressLinesSayHowMuchHowFastAndHowLong() {
        DownloadProgress half = new DownloadProgress(512L << 20, 1024L << 20, 256.0 * (1 << 20), Duration.ofSeconds(2));
        assertThat(half.describe()).isEqualTo("root image: 512 of 1024 MiB (50%), 256 MiB/s, 2 s left");
    }
}
