package dev.tether.imgutil.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.image.squashfs.SquashfsFile;
import dev.tether.image.squashfs.SquashfsImage;
import dev.tether.image.squashfs.SquashfsSource;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pack --boot-order}: mksquashfs writes the listed files' data first, in the listed order. */
class BootOrderTest {
    @TempDir
    Path dir;
    Path tree;

    @BeforeEach
    void makeTree() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/mksquashfs")), "squashfs-tools is not installed");
        tree = Files.createDirectories(dir.resolve("tree"));
        Random random = new Random(4);
        for (int i = 0; i < 40; i++) {
            Path file = tree.resolve("usr/lib/lib" + i + ".so");
            Files.createDirectories(file.getParent());
            byte[] content = new byte[140_000 + random.nextInt(300_000)];
            random.nextBytes(content);
            Files.write(file, content);
        }
        Files.createDirectories(tree.resolve("etc"));
        Files.writeString(tree.resolve("etc/hostname"), "node\n");
        Files.createSymbolicLink(tree.resolve("lib"), Path.of("usr/lib"));
    }

    @Test
    void listedFilesDataPrecedesAllOtherDataInListedOrder() throws Exception {
        List<String> order = List.of("/usr/lib/lib33.so", "/usr/lib/lib2.so", "/usr/lib/lib17.so", "/usr/lib/lib0.so");
        Path sortFile = dir.resolve("sort");

        int placed = BootOrder.of(order).writeSortFile(tree, sortFile);
        Path image = mksquashfs(sortFile);

        assertThat(placed).isEqualTo(4);
        List<String> byOffset = dataFiles(image).stream().sorted(Comparator.comparingLong(f -> f.blocks().start()))
                .map(SquashfsFile::path).toList();
        assertThat(byOffset.subList(0, 4)).containsExactlyElementsOf(order);
    }

    @Test
    void listedSmallFilesShareFragmentBlocksWithEachOther() throws Exception {
        // 3000-byte random files: 43 fit a 128 KiB fragment block. Every other one is read at boot.
        Random random = new Random(5);
        List<String> boot = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            byte[] content = new byte[3000];
            random.nextBytes(content);
            Files.write(tree.resolve("etc/small" + i + ".conf"), content);
            if (i % 2 == 1) {
                boot.add("/etc/small" + i + ".conf");
            }
        }
        Path sortFile = dir.resolve("sort");
        BootOrder.of(boot).writeSortFile(tree, sortFile);

        long ordered = fragmentBlocksHolding(allFiles(mksquashfs(sortFile)), boot);
        long unordered = fragmentBlocksHolding(allFiles(mksquashfs(null)), boot);

        // 100 files of 3000 bytes fill three blocks; in name order they are spread over all five.
        assertThat(ordered).isEqualTo(3);
        assertThat(unordered).isEqualTo(5);
    }

    private static long fragmentBlocksHolding(List<SquashfsFile> files, List<String> paths) {
        return files.stream().filter(f -> paths.contains(f.path())).map(SquashfsFile::fragment).distinct().count();
    }

    @Test
    void withoutABootOrderTheListedFilesAreScatteredByName() throws Exception {
        Map<String, SquashfsFile> files = dataFiles(mksquashfs(null)).stream()
                .collect(Collectors.toMap(SquashfsFile::path, Function.identity()));

        // mksquashfs's own order is by name: lib33 lies after lib2, the reverse of the boot order above.
        assertThat(files.get("/usr/lib/lib33.so").blocks().start()).isGreaterThan(files.get("/usr/lib/lib2.so").blocks().start());
    }

    @Test
    void pathsTheTreeLacksOrThatLeadThroughALinkOrOutOfTheTreeAreLeftOut() throws Exception {
        BootOrder order = BootOrder.of(List.of("/usr/lib/lib1.so", "/usr/lib/gone.so", "/lib/lib3.so", "/../etc/passwd",
                "relative/path", "/usr/lib", "/etc/with space", "/etc/hostname", "/usr/lib/lib1.so"));

        assertThat(order.presentIn(tree.toRealPath())).containsExactly("usr/lib/lib1.so", "etc/hostname");
    }

    @Test
    void readsTheOperatorsFileSkippingCommentsAndBlankLines() throws Exception {
        Path file = Files.writeString(dir.resolve("boot-order"), "# from node n1\n/etc/hostname\n\n/usr/lib/lib5.so\n");

        assertThat(BootOrder.read(file).paths()).containsExactly("/etc/hostname", "/usr/lib/lib5.so");
    }

    private Path mksquashfs(Path sortFile) throws Exception {
        Path image = dir.resolve("image.sfs");
        List<String> command = new ArrayList<>(SquashfsMaker.command(tree, image, Compression.ZSTD, false, sortFile));
        command.add(3, "-quiet");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).as(output).isZero();
        return image;
    }

    private static List<SquashfsFile> dataFiles(Path image) throws Exception {
        return allFiles(image).stream().filter(f -> !f.blocks().isEmpty()).toList();
    }

    private static List<SquashfsFile> allFiles(Path image) throws Exception {
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ)) {
            return SquashfsImage.open(SquashfsSource.of(channel)).files();
        }
    }
}
