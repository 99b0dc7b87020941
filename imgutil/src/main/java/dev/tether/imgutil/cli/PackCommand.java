package dev.tether.imgutil.cli;

import dev.tether.image.format.ImageHeader;
import dev.tether.imgutil.Imgutil;
import dev.tether.imgutil.UserError;
import dev.tether.imgutil.pack.BootOrder;
import dev.tether.imgutil.pack.BuilderResult;
import dev.tether.imgutil.pack.Compression;
import dev.tether.imgutil.pack.ImageInfo;
import dev.tether.imgutil.pack.PackRequest;
import dev.tether.imgutil.pack.PackResult;
import dev.tether.imgutil.pack.Packer;
import dev.tether.imgutil.util.Sizes;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "pack", sortOptions = false, usageHelpAutoWidth = true, mixinStandardHelpOptions = true,
        description = {
            "Pack a tree into kernel, initramfs, root image and manifest.",
            "",
            "Packs a tree into the artifacts nodes boot from, in OUTDIR: vmlinuz, initrd.img, root.img (the root "
                    + "image container: a squashfs sealed in chunks) and manifest.json (digests and sizes of all of "
                    + "them, kernel version, distribution, build time, builder, encryption key id).",
            "First the image's own dracut or update-initramfs regenerates the initramfs, so it carries the Tether "
                    + "integration. The squashfs leaves out /proc, /sys, /dev, /run and /tmp content, apt and dnf "
                    + "caches, logs, SSH host keys and the initramfs, and has an empty /etc/machine-id.",
            "Prints the image digest (sha256 of manifest.json) on stdout. The key is never written into OUTDIR. "
                    + "manifest.json is written last: an OUTDIR without it is incomplete. Needs root."})
public final class PackCommand implements Callable<Integer> {
    @ParentCommand
    Imgutil parent;

    @Parameters(index = "0", paramLabel = "DIR", description = "The tree.")
    Path dir;

    @Parameters(index = "1", paramLabel = "OUTDIR", description = "Where the artifacts go; created if missing.")
    Path outDir;

    @Option(names = "--compression", paramLabel = "ALG", defaultValue = "zstd",
            description = "Squashfs compression: zstd, xz or lz4. Default: ${DEFAULT-VALUE}.")
    String compression;

    @Option(names = "--unencrypted",
            description = "Seal chunks with SHA-256 integrity only, no encryption (default: AES-256-GCM). The manifest"
                    + " then pins every chunk's hash, so at most 16384 chunks (256 MiB at the default 16Ki chunks, 1 GiB at"
                    + " 64Ki, 4 GiB at 256Ki, 16 GiB at 1Mi).")
    boolean unencrypted;

    @Option(names = "--chunk-size", paramLabel = "SIZE",
            description = "Chunk size of the root image, the unit a tethered node fetches and verifies: a power of two"
                    + " from 16Ki to 16Mi. Default: 16Ki, or for an --unencrypted image larger than 256 MiB the smallest"
                    + " size at which its manifest pins every chunk.")
    String chunkSize;

    @Option(names = "--key-file", paramLabel = "FILE",
            description = "The image key (32 bytes): read if FILE exists, else generated and written there with "
                    + "mode 0600. Required unless --unencrypted. Must be outside OUTDIR.")
    Path keyFile;

    @Option(names = "--no-initramfs",
            description = "Take the initramfs already in the tree instead of regenerating it.")
    boolean noInitramfs;

    @Option(names = "--scratch", paramLabel = "DIR", defaultValue = "/var/tmp",
            description = "Where the plaintext squashfs is made before sealing. Default: ${DEFAULT-VALUE}.")
    Path scratch;

    @Option(names = "--distro", paramLabel = "NAME", description = "DistroFamily for the manifest. Default: ID from the tree's os-release.")
    String distro;

    @Option(names = "--release", paramLabel = "R", description = "Release for the manifest. Default: VERSION_CODENAME from the tree's os-release.")
    String release;

    @Option(names = "--arch", paramLabel = "ARCH", description = "Architecture for the manifest. Default: the host's.")
    String architecture;

    @Option(names = "--boot-order", paramLabel = "FILE",
            description = "The files a boot reads, one absolute path per line in the order they are first read (the"
                    + " operator's <image>-boot-order ConfigMap, or a node's report): their data goes first in the"
                    + " squashfs, so a tethered boot fetches one contiguous run. Paths the tree lacks are skipped.")
    Path bootOrder;

    @Option(names = "--result-file", paramLabel = "FILE",
            description = "Also write the one-line JSON builder result there (see docs/contracts.md).")
    Path resultFile;

    @Override
    public Integer call() {
        long started = System.nanoTime();
        try {
            Integer chunk = chunkSize == null ? null : Sizes.parseInt(chunkSize, "--chunk-size");
            try {
                if (chunk != null) {
                    ImageHeader.checkChunkSize(chunk);
                }
            } catch (IllegalArgumentException e) {
                throw new UserError("--chunk-size: " + e.getMessage());
            }
            Compression algorithm = Compression.parse(compression);
            PackResult result = new Packer(parent.console(), parent.runner()).pack(new PackRequest(dir, outDir,
                    algorithm, !unencrypted, chunk, keyFile, !noInitramfs, scratch,
                    ImageInfo.of(dir, distro, release, architecture), bootOrder == null ? null : BootOrder.read(bootOrder)));
            if (resultFile != null) {
                BuilderResult.write(resultFile, BuilderResult.success(result,
                        Math.round((System.nanoTime() - started) / 1e9)));
            }
            parent.out().println(result.digest());
            return 0;
        } catch (UserError e) {
            if (resultFile != null) {
                BuilderResult.write(resultFile, BuilderResult.failure(e.getMessage()));
            }
            throw e;
        }
    }
}
