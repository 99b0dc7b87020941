package dev.tether.imgutil.pack;

import java.nio.file.Path;

/**
 * What {@code imgutil pack} makes from a tree.
 *
 * @param chunkSize the root image's chunk size; null for the default, {@link Packer#defaultChunkSize raised} where an
 *     unencrypted image would need more chunks than its manifest pins
 * @param keyFile where the key is read or written; {@code null} only for an unencrypted image
 * @param regenerateInitramfs false to take the initramfs already in the tree as it is
 * @param scratchDir where the plaintext squashfs is made before sealing (never the public output directory)
 * @param bootOrder the files a boot reads, placed first in the squashfs; null for mksquashfs's own order
 */
public record PackRequest(Path root, Path outDir, Compression compression, boolean encrypted, Integer chunkSize,
        Path keyFile, boolean regenerateInitramfs, Path scratchDir, ImageInfo info, BootOrder bootOrder) {

    public PackRequest(Path root, Path outDir, Compression compression, boolean encrypted, Integer chunkSize,
            Path keyFile, boolean regenerateInitramfs, Path scratchDir, ImageInfo info) {
        this(root, outDir, compression, encrypted, chunkSize, keyFile, regenerateInitramfs, scratchDir, info, null);
    }
}
