package dev.tether.imgutil.pack;

import dev.tether.image.format.ChunkHashes;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.ImageOptions;
import dev.tether.image.format.Manifest;
import dev.tether.image.format.RootImagePin;
import dev.tether.image.format.RootImageWriter;
import dev.tether.imgutil.UserError;
import dev.tether.imgutil.Version;
import dev.tether.imgutil.exec.NamespaceExec;
import dev.tether.imgutil.initramfs.KernelLocator;
import dev.tether.imgutil.util.AtomicOutput;
import dev.tether.imgutil.util.Console;
import dev.tether.imgutil.util.DigestingChannel;
import dev.tether.imgutil.util.ProcessRunner;
import dev.tether.imgutil.util.Progress;
import dev.tether.imgutil.util.Sizes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * {@code imgutil pack}: turns a tree into the public artifacts of one build. The image's own initramfs
 * tool regenerates the initramfs (so it carries the Tether integration), kernel and initramfs are
 * copied out, mksquashfs makes the root, which is sealed into the root image container, and
 * {@code manifest.json} is written last. Every file is written under a temporary name and renamed
 * when complete, and an older manifest is removed first, so an interrupted pack never leaves an
 * output directory that looks finished.
 */
public final class Packer {
    public static final String KERNEL_FILE = "vmlinuz";
    public static final String INITRAMFS_FILE = "initrd.img";
    public static final String ROOT_IMAGE_FILE = "root.img";

    private static final int COPY_BUFFER = 1 << 20;

    private final Console console;
    private final ProcessRunner runner;

    public Packer(Console console, ProcessRunner runner) {
        this.console = console;
        this.runner = runner;
    }

    public PackResult pack(PackRequest request) {
        Path root = checkTree(request.root());
        Path outDir = prepareOutDir(request.outDir());
        ImageKey key = request.encrypted() ? KeyFile.readOrCreate(requireKeyFile(request), outDir) : null;
        try {
            Files.deleteIfExists(outDir.resolve(Manifest.FILE_NAME));
            KernelLocator.Kernel kernel = KernelLocator.locate(root);
            if (request.regenerateInitramfs()) {
                regenerateInitramfs(root, kernel);
            }
            if (!Files.isRegularFile(kernel.initramfs())) {
                throw new UserError("no initramfs at " + kernel.initramfs() + "; pack without --no-initramfs makes one");
            }
            Manifest.Artifact vmlinuz = copyArtifact(kernel.vmlinuz(), outDir.resolve(KERNEL_FILE));
            Manifest.Artifact initramfs = copyArtifact(kernel.initramfs(), outDir.resolve(INITRAMFS_FILE));
            Path scratch = Files.createTempDirectory(Files.createDirectories(request.scratchDir()), "imgutil-pack-");
            try {
                Path squashfs = scratch.resolve("root.squashfs");
                console.info("making the squashfs (" + request.compression() + ") of " + root);
                long started = System.nanoTime();
                Path sortFile = null;
                int bootOrderFiles = 0;
                if (request.bootOrder() != null) {
                    sortFile = scratch.resolve("boot-order.sort");
                    bootOrderFiles = request.bootOrder().writeSortFile(root, sortFile);
                    console.info("placing " + bootOrderFiles + " files a boot reads first (of "
                            + request.bootOrder().paths().size() + " in the boot order; the others are not in this tree)");
                }
                runner.run("mksquashfs", SquashfsMaker.command(root, squashfs, request.compression(), console.terminal(),
                        sortFile));
                console.info(String.format("made the squashfs in %.2f s", (System.nanoTime() - started) / 1e9));
                long squashfsBytes = Files.size(squashfs);
                int chunkSize = request.chunkSize() != null ? request.chunkSize() : defaultChunkSize(squashfsBytes, key != null);
                if (request.chunkSize() == null && chunkSize != ImageHeader.DEFAULT_CHUNK_SIZE) {
                    console.info("chunks of " + Sizes.describe(chunkSize) + ", not the default " + Sizes.describe(ImageHeader.DEFAULT_CHUNK_SIZE)
                            + ": the manifest of an unencrypted image of " + Sizes.describe(squashfsBytes) + " pins at most "
                            + ChunkHashes.MAX_CHUNKS + " chunk hashes");
                }
                if (key == null) {
                    checkUnencryptedSize(squashfsBytes, chunkSize);
                }
                Sealed sealed = seal(squashfs, outDir.resolve(ROOT_IMAGE_FILE),
                        key == null ? ImageOptions.unencrypted().withChunkSize(chunkSize)
                                : ImageOptions.encrypted(key).withChunkSize(chunkSize));
                Manifest manifest = new Manifest(Manifest.FORMAT_VERSION, "imgutil " + Version.get(),
                        Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), request.info().distribution(),
                        request.info().release(), request.info().architecture(), kernel.version(),
                        request.compression().cliName(), vmlinuz, initramfs, sealed.rootImage(), sealed.squashfs(),
                        new Manifest.Encryption(sealed.header().cipher().displayName(),
                                key == null ? null : key.keyIdHex(), sealed.header().chunkSize(),
                                sealed.header().chunkCount(), RootImagePin.headerDigest(sealed.header()),
                                sealed.chunkHashes() == null ? null : sealed.chunkHashes().base64()));
                byte[] json = manifest.toJson();
                AtomicOutput.write(outDir.resolve(Manifest.FILE_NAME), json, PosixFilePermissions.fromString("rw-r--r--"));
                return new PackResult(manifest, ContentDigest.of(json), bootOrderFiles);
            } finally {
                runner.run("removing the scratch directory", List.of("rm", "-rf", "--one-file-system", scratch.toString()));
            }
        } catch (IOException e) {
            throw new UserError("pack failed: " + e.getMessage(), e);
        }
    }

    /**
     * The chunk size when none was asked for: {@link ImageHeader#DEFAULT_CHUNK_SIZE}, which keeps what a tethered node
     * fetches for a small read small; for an unencrypted image too large for its manifest to pin every chunk at that
     * size, the smallest larger power of two that fits (an encrypted image has no such bound).
     */
    static int defaultChunkSize(long squashfsBytes, boolean encrypted) {
        int size = ImageHeader.DEFAULT_CHUNK_SIZE;
        while (!encrypted && size < ImageHeader.MAX_CHUNK_SIZE && ImageHeader.chunkCount(squashfsBytes, size) > ChunkHashes.MAX_CHUNKS) {
            size <<= 1;
        }
        return size;
    }

    /**
     * The manifest of an unencrypted image pins the hash of every chunk (the chunks' own hashes could be computed by
     * an edge for chunks of its own), and the agent takes a manifest of at most 1 MiB: so at most
     * {@value ChunkHashes#MAX_CHUNKS} chunks. Checked before sealing, so that no build is made whose manifest the
     * agent could not take.
     */
    static void checkUnencryptedSize(long squashfsBytes, int chunkSize) {
        long chunks = ImageHeader.chunkCount(squashfsBytes, chunkSize);
        if (chunks > ChunkHashes.MAX_CHUNKS) {
            throw new UserError("the squashfs is " + Sizes.describe(squashfsBytes) + ", too large to pack unencrypted"
                    + " in chunks of " + Sizes.describe(chunkSize) + ": the manifest pins the hash of every chunk of an"
                    + " unencrypted image, and holds at most " + ChunkHashes.MAX_CHUNKS + " ("
                    + Sizes.describe(ChunkHashes.maxPlaintextSize(chunkSize)) + " at this chunk size); encrypt the image"
                    + " (--key-file FILE instead of --unencrypted), or raise --chunk-size (up to "
                    + Sizes.describe(ImageHeader.MAX_CHUNK_SIZE) + ", for "
                    + Sizes.describe(ChunkHashes.maxPlaintextSize(ImageHeader.MAX_CHUNK_SIZE)) + ")");
        }
    }

    private static Path requireKeyFile(PackRequest request) {
        if (request.keyFile() == null) {
            throw new UserError("an encrypted image needs --key-file FILE (the key is read from it, or written"
                    + " there when it does not exist; never into OUTDIR); or pack with --unencrypted");
        }
        return request.keyFile();
    }

    static Path checkTree(Path root) {
        if (!Files.exists(root)) {
            throw new UserError("image tree " + root + " does not exist");
        }
        if (!Files.isDirectory(root)) {
            throw new UserError(root + " is not a directory (an image tree is a directory)");
        }
        if (!Files.isDirectory(root.resolve("etc")) || !Files.isDirectory(root.resolve("usr"))) {
            throw new UserError(root + " does not look like a root tree (no /etc or /usr); make one with imgutil build");
        }
        try {
            return root.toRealPath();
        } catch (IOException e) {
            throw new UserError("cannot resolve " + root + ": " + e.getMessage());
        }
    }

    /** Creates the directory and proves it writable before any long work starts. */
    static Path prepareOutDir(Path outDir) {
        try {
            Files.createDirectories(outDir);
            Path probe = Files.createTempFile(outDir, ".imgutil-write-test", "");
            Files.delete(probe);
            return outDir.toRealPath();
        } catch (IOException e) {
            throw new UserError("cannot write to the output directory " + outDir + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
    }

    private void regenerateInitramfs(Path root, KernelLocator.Kernel kernel) {
        List<String> command = kernel.tool().regenerate(root, kernel.version());
        console.info("regenerating the initramfs of " + kernel.version() + " with the image's " + kernel.tool().command());
        runner.run(kernel.tool().command(), NamespaceExec.processBuilder(NamespaceExec.Request.of(root, command)));
    }

    private Manifest.Artifact copyArtifact(Path source, Path target) throws IOException {
        try (AtomicOutput out = AtomicOutput.create(target)) {
            DigestingChannel digesting;
            try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
                 DigestingChannel written = new DigestingChannel(FileChannel.open(out.path(), StandardOpenOption.WRITE))) {
                ByteBuffer buffer = ByteBuffer.allocate(COPY_BUFFER);
                while (in.read(buffer.clear()) >= 0) {
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        written.write(buffer);
                    }
                }
                digesting = written;
            }
            Files.setPosixFilePermissions(out.path(), PosixFilePermissions.fromString("rw-r--r--"));
            out.commit();
            return new Manifest.Artifact(target.getFileName().toString(), digesting.digest(), digesting.size());
        }
    }

    /** @param chunkHashes the hash of every chunk of an unencrypted container; null for an encrypted one */
    private record Sealed(ImageHeader header, Manifest.Artifact rootImage, Manifest.Artifact squashfs,
            ChunkHashes chunkHashes) {
    }

    /** Seals the squashfs into the container in one pass, hashing plaintext and container on the way. */
    private Sealed seal(Path squashfs, Path target, ImageOptions options) throws IOException {
        try (AtomicOutput out = AtomicOutput.create(target)) {
            MessageDigest plain = ContentDigest.newSha256();
            RootImageWriter writer;
            DigestingChannel digesting;
            long size;
            try (FileChannel in = FileChannel.open(squashfs, StandardOpenOption.READ);
                 DigestingChannel container = new DigestingChannel(FileChannel.open(out.path(), StandardOpenOption.WRITE))) {
                size = in.size();
                Progress progress = console.progress("sealing the root image (" + options.cipher().displayName() + ")",
                        size);
                writer = RootImageWriter.start(container, size, options);
                ByteBuffer buffer = ByteBuffer.allocate(options.chunkSize());
                for (int read; (read = in.read(buffer.clear())) >= 0; ) {
                    buffer.flip();
                    plain.update(buffer.duplicate());
                    writer.write(buffer);
                    progress.advance(read);
                }
                writer.close();
                progress.finish();
                digesting = container;
            }
            Files.setPosixFilePermissions(out.path(), PosixFilePermissions.fromString("rw-r--r--"));
            out.commit();
            return new Sealed(writer.header(),
                    new Manifest.Artifact(target.getFileName().toString(), digesting.digest(), digesting.size()),
                    new Manifest.Artifact(null, ContentDigest.format(plain), size), writer.chunkHashes());
        }
    }
}
