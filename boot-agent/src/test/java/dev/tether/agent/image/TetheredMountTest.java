package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tethered root for real: the agent's FUSE on /dev/fuse, the squashfs loop-mounted on it, in a private mount
 * namespace, against three real edges; every file of the source tree is compared while the edges misbehave.
 * Needs root, /dev/fuse and loop devices; skips saying which is missing.
 */
class TetheredMountTest {
    private static final Pattern FETCHED = Pattern.compile("bytes=([0-9]+), usefulBytes=([0-9]+)");
    private static TestImage image;

    @TempDir
    Path dir;
    private TestEdges edges;

    @BeforeAll
    static void buildImage() throws Exception {
        Tools.assumeRealMounts();
        image = TestImage.shared();
    }

    @BeforeEach
    void startEdges() throws Exception {
        edges = TestEdges.start(dir, image.container, 3);
    }

    @AfterEach
    void stopEdges() {
        if (edges != null) {
            edges.close();
        }
    }

    private MountCheckProcess check(Consumer<String> onLine, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("method=tethered",
                "edges=" + edges.urls().stream().map(URI::toString).collect(Collectors.joining(",")),
                "digest=" + image.digest, "key=" + image.keyHex(), "work=" + dir.resolve("work"), "tree=" + image.tree));
        args.addAll(List.of(extra));
        MountCheckProcess process = new MountCheckProcess();
        process.run(args, onLine, 180);
        return process;
    }

    private static int progress(String line) {
        return line.startsWith("PROGRESS ") ? Integer.parseInt(line.split(" ")[1]) : -1;
    }

    @Test
    void everyFileOfTheMountedRootEqualsTheSourceTree() throws Exception {
        MountCheckProcess process = check(line -> { });
        long[] result = process.result();
        assertThat(result[0]).isGreaterThan(300);
        assertThat(result[1]).as("mismatching files").isZero();
        assertThat(result[2]).as("read errors").isZero();
        assertThat(process.first("MOUNTED")).contains("Tether test image");
        // As the agent mounts it: the loop device reads the FUSE file with direct I/O, so the kernel reads nothing
        // ahead of the squashfs and each chunk is fetched about once (through the FUSE file's page cache, with its
        // read-ahead, this read fetched 1.53 times the chunks it needed; with direct I/O 1.07 times).
        assertThat(process.first("LOWER")).isEqualTo("LOWER direct I/O");
        Matcher stats = FETCHED.matcher(process.first("STATS"));
        assertThat(stats.find()).as(process.first("STATS")).isTrue();
        assertThat(Long.parseLong(stats.group(1))).as("bytes fetched, against the chunks the reads needed: "
                + process.first("STATS")).isLessThanOrEqualTo(Long.parseLong(stats.group(2)) * 115 / 100);
    }

    @Test
    void killingAnEdgeWhileTheTreeIsReadCostsNoReadAndNoByte() throws Exception {
        AtomicBoolean killed = new AtomicBoolean();
        MountCheckProcess process = check(line -> {
            if (progress(line) == 100 && killed.compareAndSet(false, true)) {
                edges.kill(1);
            }
        });
        assertThat(killed).isTrue();
        long[] result = process.result();
        assertThat(result[1]).as("mismatching files").isZero();
        assertThat(result[2]).as("read errors").isZero();
        assertThat(process.first("STATS")).doesNotContain("edgeFailures=0,");
    }

    @Test
    void aDamagedChunkOnOneEdgeIsDetectedAndTheFileStillReadsRight() throws Exception {
        edges.fillAll();
        long chunk = 6;
        edges.damage(0, image.header.chunkOffset(chunk) + 4321);
        // The probe reads chunk 6 first, with nothing else in flight, so it goes to edge 0 (6 mod 3).
        MountCheckProcess process = check(line -> { }, "probe=" + chunk * image.header.chunkSize());
        long[] result = process.result();
        assertThat(result[1]).as("mismatching files").isZero();
        assertThat(result[2]).as("read errors").isZero();
        // At least the probe's fetch; a later re-read of chunk 6 after eviction may meet edge 0 again.
        assertThat(process.first("STATS")).containsPattern("integrityFailures=[1-9]");
    }

    @Test
    void withAllEdgesDownReadsBlockThenSucceedAndTheConsoleNamesTheEdges() throws Exception {
        AtomicBoolean down = new AtomicBoolean();
        AtomicBoolean restarted = new AtomicBoolean();
        MountCheckProcess process = check(line -> {
            if (progress(line) == 100 && down.compareAndSet(false, true)) {
                for (int i = 0; i < 3; i++) {
                    edges.kill(i);
                }
            }
            // The edges come back once the agent found none of them answering and holds a read until one does: on
            // that event, not after a time (off this thread, which must go on reading the check's output).
            if (line.startsWith("CONSOLE ") && line.contains("no edge can serve it") && restarted.compareAndSet(false, true)) {
                Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 3; i++) {
                        try {
                            edges.restart(i);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                });
            }
        });
        long[] result = process.result();
        assertThat(down).as("the edges went down during the read").isTrue();
        assertThat(restarted).as("the agent said it could not read from any edge").isTrue();
        // Every read that met the outage waited for the edges instead of failing.
        assertThat(result[1]).as("mismatching files").isZero();
        assertThat(result[2]).as("read errors").isZero();
        List<String> console = process.lines.stream().filter(l -> l.startsWith("CONSOLE ")).toList();
        int outage = indexOf(console, "no edge can serve it");
        assertThat(outage).as("the console line saying no edge can serve the read").isNotNegative();
        assertThat(console.get(outage)).contains(edges.url(0).toString()).contains(edges.url(1).toString())
                .contains(edges.url(2).toString()).contains("Reads wait until an edge answers");
        assertThat(indexOf(console.subList(outage, console.size()), "reads resumed")).as("reads resumed after the outage")
                .isNotNegative();
    }

    private static int indexOf(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i;
            }
        }
        return -1;
    }
}
