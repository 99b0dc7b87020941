package dev.tether.image.squashfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The reader against images squashfs-tools made, held to unsquashfs's own listing and to the bytes on disk. */
class SquashfsImageTest {
    @TempDir
    Path dir;
    Path tree;

    @BeforeEach
    void makeTree() throws IOException {
        Mksquashfs.assumeInstalled();
        tree = Files.createDirectories(dir.resolve("tree"));
        Random random = new Random(16);
        Files.createDirectories(tree.resolve("etc/conf.d"));
        Files.writeString(tree.resolve("etc/hostname"), "node\n");
        Files.writeString(tree.resolve("etc/conf.d/with space"), "spaces in a name\n");
        Files.createFile(tree.resolve("etc/empty"));
        Files.write(tree.resolve("big"), bytes(random, 700_000));
        Files.write(tree.resolve("exactly-one-block"), bytes(random, 128 * 1024));
        Files.createLink(tree.resolve("etc/hard-link"), tree.resolve("etc/hostname"));
        try (FileChannel sparse = FileChannel.open(tree.resolve("sparse"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            sparse.write(ByteBuffer.wrap(bytes(random, 5000)), 3 << 20);
        }
        Files.createSymbolicLink(tree.resolve("link"), Path.of("etc/hostname"));
        // More than one directory header (256 entries each) and more than one metadata block of listing.
        Path many = Files.createDirectories(tree.resolve("usr/share/many"));
        for (int i = 0; i < 1500; i++) {
            Files.writeString(many.resolve("a-rather-long-file-name-to-fill-metadata-blocks-" + i), "file " + i);
        }
        Files.createDirectories(tree.resolve("var/empty-dir"));
    }

    private static byte[] bytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    @ParameterizedTest
    @ValueSource(strings = {"zstd", "xz", "lz4", "gzip"})
    void listsTheRegularFilesUnsquashfsLists(String compressor) throws Exception {
        Path image = Mksquashfs.make(tree, dir.resolve("image.sfs"), compressor);

        List<SquashfsFile> files = open(image).files();

        Map<String, Long> listed = new TreeMap<>(files.stream().collect(Collectors.toMap(SquashfsFile::path, SquashfsFile::size)));
        assertThat(listed).isEqualTo(Mksquashfs.regularFiles(image));
        assertThat(listed).containsKeys("/etc/conf.d/with space", "/etc/empty", "/sparse", "/usr/share/many/a-rather-long-file-name-to-fill-metadata-blocks-1499");
        assertThat(open(image).superblock().compressor().displayName()).isEqualTo(compressor);
    }

    @Test
    void hardLinksShareAnInodeNumber() throws Exception {
        Path image = Mksquashfs.make(tree, dir.resolve("image.sfs"), "zstd");

        Map<String, SquashfsFile> files = byPath(open(image).files());

        assertThat(files.get("/etc/hard-link").inodeNumber()).isEqualTo(files.get("/etc/hostname").inodeNumber());
        assertThat(files.get("/big").inodeNumber()).isNotEqualTo(files.get("/etc/hostname").inodeNumber());
    }

    @Test
    void dataRangesHoldTheFilesBytesWhenStoredUncompressed() throws Exception {
        Path image = Mksquashfs.make(tree, dir.resolve("image.sfs"), "zstd", "-noD", "-no-fragments");
        byte[] disk = Files.readAllBytes(image);

        Map<String, SquashfsFile> files = byPath(open(image).files());

        for (String name : List.of("/big", "/exactly-one-block", "/etc/hostname", "/usr/share/many/a-rather-long-file-name-to-fill-metadata-blocks-7")) {
            SquashfsFile file = files.get(name);
            byte[] content = Files.readAllBytes(tree.resolve(name.substring(1)));
            assertThat(file.fragment()).isNull();
            assertThat(file.blocks().length()).as(name).isEqualTo(content.length);
            assertThat(slice(disk, file.blocks())).as(name).isEqualTo(content);
        }
        assertThat(files.get("/etc/empty").blocks().isEmpty()).isTrue();
        // Only the written 5000 bytes take room on disk: the holes before them are sparse blocks.
        assertThat(files.get("/sparse").blocks().length()).isEqualTo(5000);
    }

    @Test
    void smallFilesTailsLieInFragmentBlocks() throws Exception {
        Path image = Mksquashfs.make(tree, dir.resolve("image.sfs"), "zstd", "-noD", "-noF", "-always-use-fragments");
        byte[] disk = Files.readAllBytes(image);

        SquashfsImage squashfs = open(image);
        Map<String, SquashfsFile> files = byPath(squashfs.files());

        SquashfsFile hostname = files.get("/etc/hostname");
        assertThat(hostname.blocks().isEmpty()).isTrue();
        assertThat(squashfs.fragments()).contains(hostname.fragment());
        assertThat(new String(slice(disk, hostname.fragment()), StandardCharsets.ISO_8859_1)).contains("node\n");
        // 700000 bytes: five full blocks and, with -always-use-fragments, the tail in a fragment.
        assertThat(files.get("/big").blocks().length()).isEqualTo(5 * 128 * 1024);
        assertThat(files.get("/big").fragment()).isNotNull();
    }

    @Test
    void refusesWhatIsNotASquashfs() throws Exception {
        Path notSquashfs = Files.write(dir.resolve("not.sfs"), new byte[4096]);

        assertThatThrownBy(() -> open(notSquashfs)).isInstanceOf(SquashfsFormatException.class)
                .hasMessageContaining("not a squashfs");
    }

    @Test
    void refusesATruncatedImage() throws Exception {
        Path image = Mksquashfs.make(tree, dir.resolve("image.sfs"), "zstd");
        byte[] whole = Files.readAllBytes(image);
        Path truncated = Files.write(dir.resolve("truncated.sfs"), Arrays.copyOf(whole, whole.length / 2));

        assertThatThrownBy(() -> open(truncated).files()).isInstanceOf(IOException.class);
    }

    private static byte[] slice(byte[] disk, DiskRange range) {
        return Arrays.copyOfRange(disk, (int) range.start(), (int) range.end());
    }

    private static Map<String, SquashfsFile> byPath(List<SquashfsFile> files) {
        return files.stream().collect(Collectors.toMap(SquashfsFile::path, f -> f));
    }

    static SquashfsImage open(Path image) throws IOException {
        FileChannel channel = FileChannel.open(image, StandardOpenOption.READ);
        return SquashfsImage.open(SquashfsSource.of(channel));
    }
}
