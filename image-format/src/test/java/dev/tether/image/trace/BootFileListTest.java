package dev.tether.image.trace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.image.squashfs.Mksquashfs;
import dev.tether.image.squashfs.SquashfsFile;
import dev.tether.image.squashfs.SquashfsImage;
import dev.tether.image.squashfs.SquashfsSource;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A trace of reading known files maps to exactly those files, in the order they were first read. */
class BootFileListTest {
    @TempDir
    Path dir;
    Path tree;

    @BeforeEach
    void makeTree() throws Exception {
        Mksquashfs.assumeInstalled();
        tree = Files.createDirectories(dir.resolve("tree"));
        Random random = new Random(15);
        for (String name : List.of("bin/sh", "bin/init", "lib/libc.so", "usr/bin/unused", "usr/lib/unused.so", "etc/big")) {
            Path file = tree.resolve(name);
            Files.createDirectories(file.getParent());
            byte[] content = new byte[200_000 + random.nextInt(100_000)];
            random.nextBytes(content);
            Files.write(file, content);
        }
        Files.createLink(tree.resolve("bin/init-link"), tree.resolve("bin/init"));
    }

    @Test
    void readsOfFilesDataNameThoseFilesInFirstReadOrder() throws Exception {
        // Stored uncompressed, so where each file's bytes lie can be found by searching the image for them:
        // an oracle that does not depend on the reader under test.
        Path image = Mksquashfs.make(tree, dir.resolve("image.sfs"), "zstd", "-noD", "-no-fragments");
        byte[] disk = Files.readAllBytes(image);
        long init = find(disk, Files.readAllBytes(tree.resolve("bin/init")));
        long libc = find(disk, Files.readAllBytes(tree.resolve("lib/libc.so")));
        long sh = find(disk, Files.readAllBytes(tree.resolve("bin/sh")));
        RootReadTrace trace = new RootReadTrace(List.of(
                new RootReadTrace.Read(0, 4096, 0),                   // the superblock: no file
                new RootReadTrace.Read(init + 10, 4096, 5),
                new RootReadTrace.Read(libc, 100, 7),
                new RootReadTrace.Read(init + 50_000, 8192, 9),       // init again: already listed
                new RootReadTrace.Read(sh + 1000, 1, 12),
                new RootReadTrace.Read(Files.size(image) - 10, 10, 20))); // the tables at the end: no file

        List<String> files = BootFileList.map(files(image), trace);

        assertThat(files).containsExactly("/bin/init", "/lib/libc.so", "/bin/sh");
    }

    @Test
    void oneReadAcrossSeveralFilesNamesThemInImageOrder() throws Exception {
        Path image = Mksquashfs.make(tree, dir.resolve("image.sfs"), "zstd", "-noD", "-no-fragments");
        List<SquashfsFile> files = files(image);
        SquashfsFile first = files.stream().filter(f -> f.path().equals("/bin/init")).findFirst().orElseThrow();
        SquashfsFile second = files.stream().filter(f -> f.blocks().start() == first.blocks().end()).findFirst().orElseThrow();

        List<String> mapped = BootFileList.map(files, new RootReadTrace(List.of(
                new RootReadTrace.Read(first.blocks().end() - 10, 20, 0))));

        assertThat(mapped).containsExactly(first.path(), second.path());
    }

    @Test
    void aNeighbourMetOnlyInTheReadsFirstOrLastPageIsNotNamed() throws Exception {
        Path image = Mksquashfs.make(tree, dir.resolve("image.sfs"), "zstd", "-noD", "-no-fragments");
        List<SquashfsFile> files = files(image);
        SquashfsFile wanted = files.stream().filter(f -> f.path().equals("/bin/sh")).findFirst().orElseThrow();
        SquashfsFile before = files.stream().filter(f -> f.blocks().end() == wanted.blocks().start()).findFirst().orElseThrow();
        SquashfsFile after = files.stream().filter(f -> f.blocks().start() == wanted.blocks().end()).findFirst().orElseThrow();
        // Whole pages around the file, as the kernel reads them.
        long from = wanted.blocks().start() / 4096 * 4096;
        long to = (wanted.blocks().end() + 4095) / 4096 * 4096;

        List<String> mapped = BootFileList.map(files, new RootReadTrace(List.of(new RootReadTrace.Read(from, to - from, 0))));

        assertThat(mapped).containsExactly("/bin/sh");
        assertThat(before.blocks().end()).isGreaterThan(from);
        assertThat(after.blocks().start()).isLessThan(to);
    }

    @Test
    void aReadOfAFragmentBlockNamesTheFilesWithTheirTailsThere() throws Exception {
        Files.writeString(tree.resolve("etc/hostname"), "node\n");
        Files.writeString(tree.resolve("etc/fstab"), "# none\n");
        Path image = Mksquashfs.make(tree, dir.resolve("image.sfs"), "zstd");
        List<SquashfsFile> files = files(image);
        SquashfsFile hostname = files.stream().filter(f -> f.path().equals("/etc/hostname")).findFirst().orElseThrow();

        List<String> mapped = BootFileList.map(files, new RootReadTrace(List.of(
                new RootReadTrace.Read(hostname.fragment().start(), 1, 0))));

        assertThat(mapped).containsExactlyInAnyOrder("/etc/fstab", "/etc/hostname");
    }

    @Test
    void theTraceFormatRoundTrips() throws Exception {
        RootReadTrace trace = new RootReadTrace(List.of(new RootReadTrace.Read(0, 4096, 0),
                new RootReadTrace.Read(1 << 20, 131072, 1234)));
        StringWriter out = new StringWriter();
        trace.write(out);

        assertThat(out.toString()).startsWith("offset,length,millis\n0,4096,0\n");
        assertThat(RootReadTrace.read(new StringReader(out.toString()))).isEqualTo(trace);
        assertThat(trace.distinctBytes()).isEqualTo(4096 + 131072);
    }

    private static List<SquashfsFile> files(Path image) throws Exception {
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ)) {
            return new ArrayList<>(SquashfsImage.open(SquashfsSource.of(channel)).files());
        }
    }

    private static long find(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < 64; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("the file's bytes are not in the image");
    }
}
