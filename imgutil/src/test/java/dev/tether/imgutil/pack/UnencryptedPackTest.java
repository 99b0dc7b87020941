package dev.tether.imgutil.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.image.format.ChunkHashes;
import dev.tether.image.format.FileChunkSource;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.Manifest;
import dev.tether.image.format.RootImagePin;
import dev.tether.image.format.RootImageReader;
import dev.tether.imgutil.UserError;
import dev.tether.imgutil.cli.CliRun;
import dev.tether.imgutil.util.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unencrypted pack pins the hash of every chunk in its manifest (an edge could compute a chunk's own hash for a
 * chunk of its own), and refuses an image too large for its manifest to carry them.
 */
class UnencryptedPackTest {
    private static final String KERNEL = "6.1.0-test";

    @TempDir
    Path dir;

    @Test
    void theManifestOfAnUnencryptedPackPinsEveryChunkOfItsContainer() throws Exception {
        assumeTrue(Tools.onPath("mksquashfs"), "SKIPPED: needs mksquashfs (see .ci/apt-packages.txt)");
        Path out = dir.resolve("out");
        CliRun pack = CliRun.of("pack", tinyTree().toString(), out.toString(), "--unencrypted", "--no-initramfs",
                "--chunk-size", "64Ki", "--scratch", dir.resolve("scratch").toString());
        assertThat(pack.status()).as("pack failed: %s", pack.err()).isZero();

        Manifest manifest = Manifest.read(out.resolve(Manifest.FILE_NAME));
        RootImagePin pin = RootImagePin.of(manifest);
        byte[] container = Files.readAllBytes(out.resolve(manifest.rootImage().file()));
        ImageHeader header;
        try (RootImageReader reader = RootImageReader.open(FileChunkSource.open(out.resolve(manifest.rootImage().file())),
                null)) {
            header = reader.header();
        }
        assertThat(header.chunkCount()).as("several chunks").isGreaterThan(3);
        assertThat(pin.chunkHashes().count()).isEqualTo(header.chunkCount()).isEqualTo(manifest.encryption().chunkCount());
        for (long index = 0; index < header.chunkCount(); index++) {
            int end = (int) (header.chunkOffset(index) + header.chunkLength(index));
            assertThat(pin.chunkHashes().matches(index, Arrays.copyOfRange(container, end - ChunkHashes.HASH_LENGTH, end)))
                    .as("chunk %d is pinned as the container carries it", index).isTrue();
        }
    }

    @Test
    void anImageTooLargeForItsManifestToPinEveryChunkIsRefusedWithWhatToDo() {
        Packer.checkUnencryptedSize(16L << 30, 1 << 20);
        Packer.checkUnencryptedSize(256L << 30, 16 << 20);
        assertThatThrownBy(() -> Packer.checkUnencryptedSize((16L << 30) + 1, 1 << 20))
                .isInstanceOf(UserError.class)
                .hasMessage("the squashfs is 16.0 GiB, too large to pack unencrypted in chunks of 1 MiB: the manifest"
                        + " pins the hash of every chunk of an unencrypted image, and holds at most 16384 (16 GiB at this"
                        + " chunk size); encrypt the image (--key-file FILE instead of --unencrypted), or raise"
                        + " --chunk-size (up to 16 MiB, for 256 GiB)");
        assertThatThrownBy(() -> Packer.checkUnencryptedSize(5L << 30, 256 << 10))
                .hasMessageStartingWith("the squashfs is 5 GiB, too large to pack unencrypted in chunks of 256 KiB:")
                .hasMessageContaining("at most 16384 (4 GiB at this chunk size)");
    }

    @Test
    void withoutAChunkSizeAskedForALargeUnencryptedImageGetsChunksItsManifestCanPin() {
        assertThat(Packer.defaultChunkSize(200L << 20, false)).as("200 MiB: 12800 chunks of the default 16 KiB")
                .isEqualTo(16 << 10);
        assertThat(Packer.defaultChunkSize(256L << 20, false)).as("256 MiB: 16384 chunks of 16 KiB").isEqualTo(16 << 10);
        assertThat(Packer.defaultChunkSize((256L << 20) + 1, false)).isEqualTo(32 << 10);
        assertThat(Packer.defaultChunkSize(1L << 30, false)).as("1 GiB: 16384 chunks of 64 KiB").isEqualTo(64 << 10);
        assertThat(Packer.defaultChunkSize((1L << 30) + 1, false)).isEqualTo(128 << 10);
        assertThat(Packer.defaultChunkSize(5L << 30, false)).as("5 GiB: 320 KiB a chunk at least").isEqualTo(512 << 10);
        assertThat(Packer.defaultChunkSize(5L << 30, true)).as("an encrypted image pins no chunk hashes").isEqualTo(16 << 10);
        int largest = Packer.defaultChunkSize(300L << 30, false);
        assertThat(largest).isEqualTo(16 << 20);
        assertThatThrownBy(() -> Packer.checkUnencryptedSize(300L << 30, largest)).isInstanceOf(UserError.class)
                .hasMessageContaining("encrypt the image");
    }

    /** A tree that pack takes without building an initramfs: a kernel and its initramfs, and some incompressible data. */
    private Path tinyTree() throws Exception {
        Path tree = dir.resolve("tree");
        Files.createDirectories(tree.resolve("etc"));
        Files.createDirectories(tree.resolve("usr/lib/modules/" + KERNEL));
        Path tool = Files.createDirectories(tree.resolve("usr/sbin")).resolve("update-initramfs");
        Files.writeString(tool, "#!/bin/sh\nexit 1\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(tree.resolve("boot"));
        Files.writeString(tree.resolve("boot/vmlinuz-" + KERNEL), "kernel");
        Files.writeString(tree.resolve("boot/initrd.img-" + KERNEL), "initramfs");
        byte[] data = new byte[300 * 1024];
        new Random(3).nextBytes(data);
        Files.write(tree.resolve("etc/data"), data);
        return tree;
    }
}
