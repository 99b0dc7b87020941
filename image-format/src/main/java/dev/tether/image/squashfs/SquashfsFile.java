package dev.tether.image.squashfs;

/**
 * A regular file of a squashfs and where its data lies in the image.
 *
 * @param path absolute, from the squashfs's root ({@code /usr/bin/bash})
 * @param inodeNumber shared by the paths of one hard-linked file
 * @param size the file's length
 * @param blocks its full data blocks, one contiguous range (empty for an empty or all-sparse file)
 * @param fragment the fragment block holding its tail, shared with other small files; null when it has none
 */
public record SquashfsFile(String path, long inodeNumber, long size, DiskRange blocks, DiskRange fragment) {
}
