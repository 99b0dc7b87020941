package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.nodeapi.BootReport;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every byte the tethered reader fetches should be one a reader needed: against three real edges serving a real
 * image of one large file (48 MiB, half random, half text, as binaries are), what it fetches, read-ahead included,
 * stays within 5% of what is read. Hedges are held off here (a delay of 10 s, which these local edges never take):
 * whether one fires depends on how busy this machine is, not on the reader, and a few of them on a loaded machine
 * tipped the figure over 5%. What hedging may add is bounded by its own budget ({@code HedgePolicyTest}).
 */
class FetchedBytesTest {
    private static final int CHUNK = 256 * 1024;
    private static Path imageDir;
    private static TestImage image;

    @TempDir
    Path dir;
    private TestEdges edges;

    @BeforeAll
    static void buildImage() throws Exception {
        Tools.assumeMksquashfs();
        imageDir = Files.createTempDirectory("tether-fetched-bytes-");
        Path tree = imageDir.resolve("tree");
        Files.createDirectories(tree.resolve("etc"));
        Files.writeString(tree.resolve("etc/os-release"), "ID=tether-test\n");
        Random random = new Random(11);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(tree.resolve("large.bin"))) {
            for (int m = 0; m < 48; m++) {
                random.nextBytes(block);
                for (int p = block.length / 2; p < block.length; p++) {
                    block[p] = (byte) ('a' + (p % 23));
                }
                out.write(block);
            }
        }
        image = TestImage.pack(imageDir, tree, CHUNK);
    }

    @AfterAll
    static void deleteImage() throws IOException {
        if (imageDir != null) {
            try (var files = Files.walk(imageDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    @BeforeEach
    void startEdges() throws Exception {
        edges = TestEdges.start(dir, image.container, 3);
    }

    @AfterEach
    void stopEdges() {
        edges.close();
    }

    private RemoteRootImage open(long cacheBytes) throws IOException {
        FetchSettings fetch = FetchSettings.defaults()
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(10))
                .withHedge(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(10))
                .withConsole(line -> { });
        return RemoteRootImage.open(edges.urls(), image.digest, image.key, new TetheredSettings(cacheBytes, 4L << 20, fetch));
    }

    /** Reads [from, to) in order, in the kernel's pieces of 128 KiB. */
    private static void readInOrder(RemoteRootImage remote, long from, long to) throws IOException {
        ByteBuffer piece = ByteBuffer.allocate(128 * 1024);
        for (long position = from; position < to; ) {
            int n = remote.read(position, piece.clear().limit((int) Math.min(piece.capacity(), to - position)));
            assertThat(n).isPositive();
            position += n;
        }
    }

    @Test
    void readingTheWholeImageThroughASmallCacheCostsAtMostFivePercentMore() throws IOException {
        // The cache of a node with little memory: 2 MiB, so read-ahead is bounded by it and chunks are evicted.
        try (RemoteRootImage remote = open(2L << 20)) {
            readInOrder(remote, 0, remote.size());
            BootReport.Fetch stats = remote.stats();

            long container = Files.size(image.container);
            assertThat(stats.usefulBytes()).as("the header and every chunk once").isEqualTo(container);
            assertThat(stats.bytes()).as("fetched for reading the whole image of " + container + " bytes: " + stats)
                    .isLessThanOrEqualTo(container + container / 20);
        }
    }

    @Test
    void readingAFileInOrderThenAtRandomFetchesAtMostFivePercentMoreThanItReads() throws IOException {
        try (RemoteRootImage remote = open(64L << 20)) {
            // Most of the image is the large file; a reader that reads it stops before the image's end.
            long from = remote.size() / 10;
            long to = remote.size() * 9 / 10;
            readInOrder(remote, from, to);
            Random random = new Random(5);
            ByteBuffer small = ByteBuffer.allocate(4096);
            for (int i = 0; i < 500; i++) {
                remote.read(from + random.nextLong(to - from - small.capacity()), small.clear());
            }
            BootReport.Fetch stats = remote.stats();

            long chunksRead = image.header.chunkIndexAt(to - 1) - image.header.chunkIndexAt(from) + 1;
            assertThat(stats.usefulBytes()).as("what the reader needed: the header and the chunks it read")
                    .isBetween(chunksRead * CHUNK, chunksRead * (CHUNK + 64L) + 4096);
            assertThat(stats.bytes()).as("fetched for " + stats.usefulBytes() + " bytes read: " + stats)
                    .isLessThanOrEqualTo(stats.usefulBytes() + stats.usefulBytes() / 20);
        }
    }

    @Test
    void readAheadDoesNotFetchAgainWhatAnEarlierReaderRead() throws IOException {
        // The cache holds 8 chunks, so what the boot read (8 chunks in the middle) is evicted long before a later
        // reader reads its way up to it. That reader's read-ahead would fetch it again, although the kernel has it in
        // its page cache and goes on past it: the chunks a reader read before are left to be fetched on demand.
        try (RemoteRootImage remote = open(8L * CHUNK)) {
            long middle = image.header.chunkCount() / 2;
            readInOrder(remote, middle * CHUNK, (middle + 8) * CHUNK);
            BootReport.Fetch boot = remote.stats();
            readInOrder(remote, 0, middle * CHUNK);
            long end = image.header.chunkCount() - 10;
            readInOrder(remote, (middle + 8) * CHUNK, end * CHUNK);
            BootReport.Fetch stats = remote.stats();

            // The one chunk fetched ahead where the reader stops (its window, for the 30-odd chunks it read in order).
            // Fetching the boot's chunks again would cost 2 more: the first reader's window as it reached them.
            assertThat(stats.bytes() - stats.usefulBytes()).as("fetched and never read, after the boot's " + boot
                    + ": " + stats).isLessThanOrEqualTo(image.header.sealedChunkSize());
        }
    }
}
