package dev.tether.agent.image;

import dev.tether.agent.fuse.FuseMount;
import dev.tether.agent.fuse.ReadOnlyFile;
import dev.tether.agent.fuse.RecordingFile;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.RootImagePin;
import dev.tether.nodeapi.BootReport;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The root image as a plain squashfs file for the agent to loop-mount: a FUSE file that reads from the edges on demand
 * (tethered), a file downloaded into RAM (untethered), or a FUSE file served until its copy in RAM is complete
 * (untethered, with a manifest).
 */
public final class RootImageMount implements Closeable {
    public static final String FILE_NAME = "root.sfs";
    /** Where an untethered image's FUSE file is mounted, in the RAM disk, until the copy beside it is complete. */
    static final String FUSE_DIR = "fuse";
    /**
     * How long one of the copy's requests (several MiB) may take before it counts as a stall: its threads run at the
     * lowest priority, and on a node busy booting they may wait seconds for the CPU between two reads of the socket.
     */
    static final Duration COPY_REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /**
     * The copy into RAM starts once the node has read nothing from the image for this long, so that it takes neither
     * the CPU nor the edges' links from the boot's own reads (on the VM suite's one emulated CPU a copy started at the
     * hand-over, even at nice 19, had systemd reach multi-user 7 s later than a tethered boot's)...
     */
    static final Duration COPY_AFTER_QUIET = Duration.ofSeconds(2);
    /** ...or at the latest this long after it was asked for, on a node that never stops reading. */
    static final Duration COPY_WAIT_AT_MOST = Duration.ofSeconds(120);

    private final Path squashfsFile;
    private final RemoteRootImage image;
    private final FuseMount fuse;
    private final ChunkFetcher fetcher;
    /** The copy in RAM an untethered image served from the edges is downloaded into; null for the other two. */
    private final RamCopy ramCopy;
    private volatile boolean serving;

    /** The file in RAM, open for the download behind the node, the download, and the fetcher it has to itself. */
    private record RamCopy(Path file, FileChannel channel, UntetheredDownload download, ChunkFetcher fetcher) {
    }

    private RootImageMount(Path squashfsFile, RemoteRootImage image, FuseMount fuse, ChunkFetcher fetcher,
                           RamCopy ramCopy) {
        this.squashfsFile = squashfsFile;
        this.image = image;
        this.fuse = fuse;
        this.fetcher = fetcher;
        this.ramCopy = ramCopy;
        this.serving = fuse != null;
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
            return new RootImageMount(fuseDir.resolve(FILE_NAME), image, fuse, image.fetcher(), null);
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
        return new RootImageMount(target, null, null, fetcher, null);
    }

    /**
     * Untethered, without waiting for the whole image: serves it on demand from all edges as a tethered image is served
     * (a FUSE file in {@code ramDir/fuse}), so the node boots from it at once, while {@link #fillRam} downloads it into
     * {@code ramDir/root.sfs} (a tmpfs) behind the running node. The squashfs's loop device then moves onto that copy,
     * and {@link #stopServing} lets the edges go. Only with the manifest's pins: every chunk, served or downloaded, is
     * bound to the pinned header as it arrives, so the copy is the image once every chunk is in. An image named by its
     * digest alone is downloaded whole first ({@link #untethered(List, String, ImageKey, Path, Consumer,
     * FetchSettings)}), since only the whole download can be held to that digest.
     *
     * @param key null for an unencrypted image
     * @throws ForeignImageException when no edge serves the pinned header
     */
    public static RootImageMount untetheredServedUntilInRam(List<URI> edges, RootImagePin pin, ImageKey key,
            Path ramDir, TetheredSettings settings) throws IOException {
        Path copy = Files.createDirectories(ramDir).resolve(FILE_NAME);
        Path fuseDir = Files.createDirectories(ramDir.resolve(FUSE_DIR));
        RemoteRootImage image = RemoteRootImage.open(edges, pin, key, settings);
        // A fetcher of its own: the copy's large requests, slow at the lowest priority, neither count against the
        // edges the node reads from nor lengthen the delay after which its reads are hedged.
        FetchSettings fetch = settings.fetch();
        ChunkFetcher copyFetcher = new ChunkFetcher(new EdgeSet(edges, fetch.backoff()), pin.containerDigest(),
                fetch.withTimeouts(fetch.connectTimeout(), COPY_REQUEST_TIMEOUT));
        FileChannel channel = null;
        try {
            // Opened now: once the initramfs has switched to the node's root, this path no longer leads here.
            channel = FileChannel.open(copy, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            int parallelism = UntetheredDownload.parallelismFor(edges.size(), Runtime.getRuntime().maxMemory());
            // The image's opener: bound to the header it already held to the pins.
            UntetheredDownload download = UntetheredDownload.pinned(copyFetcher, image.opener(), parallelism);
            FuseMount fuse = FuseMount.mount(fuseDir, FILE_NAME, image);
            return new RootImageMount(fuseDir.resolve(FILE_NAME), image, fuse, image.fetcher(),
                    new RamCopy(copy, channel, download, copyFetcher));
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            Files.deleteIfExists(copy);
            copyFetcher.close();
            image.close();
            throw e;
        }
    }

    /** Whether {@link #fillRam} is to follow: an untethered image served from the edges until it is in RAM. */
    public boolean fillsRam() {
        return ramCopy != null;
    }

    /**
     * Once the node's reads of the image pause ({@link #COPY_AFTER_QUIET}, at most {@link #COPY_WAIT_AT_MOST}),
     * downloads the whole image into RAM, its threads at the lowest CPU priority (the node runs meanwhile), and
     * returns the copy, a file as large as the FUSE file with the same bytes: move the squashfs's loop device onto it,
     * then {@link #stopServing}. Chunks the node already read are fetched again (a boot reads a tenth of an image).
     *
     * @param starting told once the copy starts, with how long it waited for the reads to pause
     */
    public Path fillRam(Consumer<Duration> starting, Consumer<DownloadProgress> progress) throws IOException {
        if (ramCopy == null) {
            throw new IllegalStateException("only an untethered image served from the edges fills a copy in RAM");
        }
        starting.accept(awaitQuietReads());
        try (FileChannel channel = ramCopy.channel()) {
            ramCopy.download().atLowestPriority().downloadInto(channel, progress);
        } finally {
            ramCopy.fetcher().close();
        }
        return ramCopy.file();
    }

    /** Sleeps until no read came for {@link #COPY_AFTER_QUIET}, or for {@link #COPY_WAIT_AT_MOST}; returns the wait. */
    private Duration awaitQuietReads() throws IOException {
        long started = System.nanoTime();
        long quiet = COPY_AFTER_QUIET.toNanos();
        long deadline = started + COPY_WAIT_AT_MOST.toNanos();
        try {
            for (long since = image.nanosSinceLastRead(); since < quiet; since = image.nanosSinceLastRead()) {
                long left = Math.min(quiet - since, deadline - System.nanoTime());
                if (left <= 0) {
                    break;
                }
                // Until the window would close if no read came meanwhile; a read that came moves it on.
                TimeUnit.NANOSECONDS.sleep(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to copy the root image into RAM");
        }
        return Duration.ofNanos(System.nanoTime() - started);
    }

    /**
     * Unmounts the FUSE file and lets the edges go, once nothing reads the file any more (the squashfs's loop device
     * moved onto the copy in RAM, which stays).
     */
    public void stopServing() throws IOException {
        if (!serving) {
            return;
        }
        serving = false;
        try {
            fuse.close();
        } finally {
            image.close();
        }
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

    /** Whether this process serves the file (a FUSE file): it must outlive the hand-over then. */
    public boolean servedByThisProcess() {
        return serving;
    }

    /** Uses a refreshed list of edges (from the node API) from now on. */
    public void updateEdges(List<URI> edges) {
        fetcher.edges().replace(edges);
        if (ramCopy != null) {
            ramCopy.fetcher().edges().replace(edges);
        }
    }

    /**
     * Tethered: bytes useful as the reader needs them (see {@link RemoteRootImage#stats()}); untethered: the
     * download's, and the reads served before it was complete.
     */
    public BootReport.Fetch stats() {
        if (ramCopy != null) {
            return image.stats().plus(ramCopy.fetcher().stats());
        }
        return image != null ? image.stats() : fetcher.stats();
    }

    /**
     * Unmounts the FUSE file if it is still served (unmount the squashfs on it first), and deletes a file in RAM,
     * which gives the memory back once nothing has it open.
     */
    @Override
    public void close() throws IOException {
        try {
            stopServing();
        } finally {
            if (ramCopy != null) {
                ramCopy.fetcher().close();
                ramCopy.channel().close();
                Files.deleteIfExists(ramCopy.file());
            } else if (fuse == null) {
                Files.deleteIfExists(squashfsFile);
            }
        }
    }
}
