package dev.tether.agent.image;

import dev.tether.agent.fuse.FuseMount;
import dev.tether.agent.fuse.ReadOnlyFile;
import dev.tether.agent.fuse.RecordingFile;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.RootImagePin;
import dev.tether.nodeapi.BootReport;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The root image as a plain squashfs file for the agent to loop-mount: either a FUSE file that reads from
 * the edges on demand (tethered) or a file downloaded into RAM (untethered).
 */
public final class RootImageMount implements Closeable {
    public static final String FILE_NAME = "root.sfs";

    private final Path squashfsFile;
    private final RemoteRootImage image;
    private final FuseMount fuse;
    private final ChunkFetcher fetcher;

    private RootImageMount(Path squashfsFile, RemoteRootImage image, FuseMount fuse, ChunkFetcher fetcher) {
        this.squashfsFile = squashfsFile;
        this.image = image;
        this.fuse = fuse;
        this.fetcher = fetcher;
    }

    /**
     * Mounts the image at {@code fuseDir} as {@code fuseDir/root.sfs}, read on demand from all edges, once an edge
     * served the header the manifest pins.
     *
     * @param key null for an unencrypted image
     * @throws ForeignImageException when no edge serves the pinned header
     */
    public static RootImageMount tethered(List<URI> edges, RootImagePin pin, ImageKey key, Path fuseDir,
                                          TetheredSettings settings) throws IOException {
        return tethered(edges, pin, key, fuseDir, settings, null);
    }

    /**
     * As {@link #tethered(List, RootImagePin, ImageKey, Path, TetheredSettings)}, telling {@code reads} of every read
     * the kernel makes of the file (the boot's read trace).
     *
     * @param reads null to record nothing
     */
    public static RootImageMount tethered(List<URI> edges, RootImagePin pin, ImageKey key, Path fuseDir,
                                          TetheredSettings settings, RecordingFile.ReadListener reads) throws IOException {
        Files.createDirectories(fuseDir);
        return tethered(RemoteRootImage.open(edges, pin, key, settings), fuseDir, reads);
    }

    /** {@link #tethered(List, RootImagePin, ImageKey, Path, TetheredSettings)} without a manifest (no node API). */
    public static RootImageMount tethered(List<URI> edges, String rootImageDigest, ImageKey key, Path fuseDir,
                                          TetheredSettings settings) throws IOException {
        return tethered(edges, rootImageDigest, key, fuseDir, settings, null);
    }

    /** @param reads told of every read the kernel makes of the file; null to record nothing */
    public static RootImageMount tethered(List<URI> edges, String rootImageDigest, ImageKey key, Path fuseDir,
                                          TetheredSettings settings, RecordingFile.ReadListener reads) throws IOException {
        Files.createDirectories(fuseDir);
        return tethered(RemoteRootImage.open(edges, rootImageDigest, key, settings), fuseDir, reads);
    }

    private static RootImageMount tethered(RemoteRootImage image, Path fuseDir, RecordingFile.ReadListener reads)
            throws IOException {
        try {
            FuseMount fuse = FuseMount.mount(fuseDir, FILE_NAME, reads == null ? image : new RecordingFile(image, reads));
            return new RootImageMount(fuseDir.resolve(FILE_NAME), image, fuse, image.fetcher());
        } catch (IOException | RuntimeException e) {
            image.close();
            throw e;
        }
    }

    /**
     * Downloads the image into {@code ramDir/root.sfs} (a tmpfs: the memory it takes is the squashfs size),
     * striped over all edges, reporting progress about twice a second. The header is held to the manifest's
     * pins before any chunk is fetched, and each chunk to that header (and an unencrypted image's to its pinned hash)
     * as it arrives; a chunk that fails is read from another edge (see {@link UntetheredDownload}).
     *
     * @param key null for an unencrypted image
     * @throws ForeignImageException when no edge serves the pinned header, or no edge a chunk as pinned
     */
    public static RootImageMount untethered(List<URI> edges, RootImagePin pin, ImageKey key, Path ramDir,
                                            Consumer<DownloadProgress> progress, FetchSettings settings) throws IOException {
        return untethered(edges, pin.containerDigest(), pin, key, ramDir, progress, settings);
    }

    /** Without a manifest (no node API): the header is not pinned, the download still checked against the digest. */
    public static RootImageMount untethered(List<URI> edges, String rootImageDigest, ImageKey key, Path ramDir,
                                            Consumer<DownloadProgress> progress) throws IOException {
        return untethered(edges, rootImageDigest, key, ramDir, progress, FetchSettings.defaults());
    }

    public static RootImageMount untethered(List<URI> edges, String rootImageDigest, ImageKey key, Path ramDir,
                                            Consumer<DownloadProgress> progress, FetchSettings settings) throws IOException {
        return untethered(edges, rootImageDigest, null, key, ramDir, progress, settings);
    }

    private static RootImageMount untethered(List<URI> edges, String rootImageDigest, RootImagePin pin, ImageKey key,
            Path ramDir, Consumer<DownloadProgress> progress, FetchSettings settings) throws IOException {
        Files.createDirectories(ramDir);
        Path target = ramDir.resolve(FILE_NAME);
        ChunkFetcher fetcher = new ChunkFetcher(new EdgeSet(edges, settings.backoff()), rootImageDigest, settings);
        try {
            ChunkOpener opener = ChunkOpener.forEdges(fetcher, pin, key);
            int parallelism = UntetheredDownload.parallelismFor(edges.size(), Runtime.getRuntime().maxMemory());
            (pin != null ? UntetheredDownload.pinned(fetcher, opener, parallelism)
                    : UntetheredDownload.unpinned(fetcher, opener, parallelism, rootImageDigest))
                    .downloadTo(target, progress);
        } catch (IOException | RuntimeException e) {
            fetcher.close();
            Files.deleteIfExists(target);
            throw e;
        }
        fetcher.close();
        return new RootImageMount(target, null, null, fetcher);
    }

    /** The plain squashfs: the FUSE file, or the downloaded file. */
    public Path squashfsFile() {
        return squashfsFile;
    }

    /** The decrypted squashfs as the FUSE file serves it, read without recording; tethered only. */
    public ReadOnlyFile plaintext() {
        if (image == null) {
            throw new IllegalStateException("an untethered image is a file in RAM, not served by this process");
        }
        return image;
    }

    public boolean isTethered() {
        return fuse != null;
    }

    /** Uses a refreshed list of edges (from the node API) from now on. */
    public void updateEdges(List<URI> edges) {
        fetcher.edges().replace(edges);
    }

    /** Tethered: bytes useful as the reader needs them (see {@link RemoteRootImage#stats()}); untethered: the download's. */
    public BootReport.Fetch stats() {
        return image != null ? image.stats() : fetcher.stats();
    }

    /**
     * Tethered: unmounts the FUSE file (unmount the squashfs on it first). Untethered: deletes the file,
     * which gives the memory back once nothing has it open.
     */
    @Override
    public void close() throws IOException {
        if (fuse != null) {
            try {
                fuse.close();
            } finally {
                image.close();
            }
        } else {
            Files.deleteIfExists(squashfsFile);
        }
    }
}
