import dev.tether.agent.fuse.FuseMount;
import dev.tether.agent.fuse.ReadOnlyFile;
import dev.tether.agent.image.FetchSettings;
import dev.tether.agent.image.RemoteRootImage;
import dev.tether.agent.image.RootImageMount;
import dev.tether.agent.image.TetheredSettings;
import dev.tether.agent.root.DeviceNumber;
import dev.tether.agent.root.HostTools;
import dev.tether.agent.root.Mounter;
import dev.tether.agent.root.SquashfsLower;
import dev.tether.content.edge.EdgeServer;
import dev.tether.content.edge.FillSettings;
import dev.tether.content.http.HttpSettings;
import dev.tether.content.origin.OriginServer;
import dev.tether.content.store.BearerToken;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.FileChunkSource;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.ImageOptions;
import dev.tether.image.format.RootImagePin;
import dev.tether.image.format.RootImageReader;
import dev.tether.image.format.RootImageWriter;
import dev.tether.nodeapi.BootReport;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Data-plane benchmark: the same image on the same three edges, read through the mounted squashfs by
 * (1) the tethered reader, (2) the reference, confluent's urlmount3 as its source documents it
 * ({@link UrlmountReference}: the plain squashfs, one range request per FUSE read), (3) the real urlmount3 when
 * {@code URLMOUNT} names its binary, (4) the plain squashfs on local disk; plus time to first file and the
 * untethered download against one curl. {@code BENCH_CHUNK_KIB} writes the container with another chunk size
 * than the default, {@code BENCH_READ_AHEAD_KIB} sets the tethered reader's read-ahead and
 * {@code BENCH_FUSE_READ_AHEAD_KB} the kernel's on its FUSE file (FuseMount raises it to 4 MiB), which matters when
 * {@code BENCH_LOOP_DIRECT_IO=off} reads the tethered rows through the loop device's page cache (the agent's loop
 * device reads with direct I/O, as these rows do by default). Run inside a
 * private mount namespace as root (bench/run.sh does both).
 */
public final class DataPlaneBench {
    /** Whether the tethered rows' loop device reads with direct I/O, as the agent's does ({@code BENCH_LOOP_DIRECT_IO}). */
    private static final boolean LOOP_DIRECT_IO = !"off".equals(System.getenv("BENCH_LOOP_DIRECT_IO"));
    private static final String TOKEN = "bench-token";
    /**
     * Files of 64 MiB in the image (BENCH_BIG_FILES). 16 make a 1 GiB tree and a 528 MiB image, closer to real
     * images than 4 (150 MiB), whose figures are dominated by start-up costs (JIT, connections).
     */
    private static final int BIG_FILES = Integer.parseInt(System.getenv().getOrDefault("BENCH_BIG_FILES", "16"));
    private static final int BIG_FILE_MIB = 64;
    /** The squashfs's block size (mksquashfs's default, given explicitly): the unit the kernel reads a file's data in. */
    private static final int SQUASHFS_BLOCK_KIB = 128;
    /**
     * The squashfs's compression (BENCH_COMPRESSION): zstd, as imgutil packs every root image (its {@code Compression}
     * default), so the kernel's decompression costs what it costs on a node; the reference reads the same squashfs.
     */
    private static final String COMPRESSION = System.getenv().getOrDefault("BENCH_COMPRESSION", "zstd");
    /**
     * Random 4 KiB reads per reader: each in a squashfs block no other read touches ({@link #randomReadLog}), so every
     * one misses the page cache and costs the reader one block, and enough of them that a phase lasts a second or more
     * on this machine, not a few hundred milliseconds at the scheduler's mercy.
     */
    private static final int RANDOM_READS = 1600;
    /**
     * Rounds of each reader's measurement in one run (BENCH_ROUNDS, default 3), the last of which is the figure: every
     * reader is Java in this JVM, and the first round of each is also its code's compilation. On this machine's two
     * cores the JIT took a quarter of the CPU samples while the tethered reader was measured first (perf, 2026-12-05),
     * and the first round read 286 MiB/s and 929 IOPS where the third read 421 and 1129. A node's agent serves its root
     * for the node's life; the cold start is what the time to first file measures. Caches are cold in every round:
     * a fresh tethered mount each (chunk cache, connections), the page cache dropped before each phase.
     */
    private static final int ROUNDS = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROUNDS", "3"));
    /** BENCH_TRACE=1: each reader's FUSE reads (count, size, latency, concurrency) per phase, see {@link TimedFile}. */
    private static final boolean TRACE = System.getenv("BENCH_TRACE") != null;

    public static void main(String[] args) throws Exception {
        Path work = Files.createDirectories(Path.of(args.length > 0 ? args[0] : "/tmp/tether-bench"));
        Path tree = work.resolve("tree-" + BIG_FILES);
        Path squashfs = work.resolve("root.sfs");
        Path container = work.resolve("root.img");
        ImageKey key = ImageKey.generate(new SecureRandom());
        // Every run's key is new, so its blobs are too: the origin's and edges' copies of the last run's are only waste
        // (a 16-file run leaves 2.6 GiB in each).
        for (String server : List.of("origin", "edge0", "edge1", "edge2")) {
            deleteTree(work.resolve(server));
        }
        if (!Files.exists(tree)) {
            // Made beside it and renamed: a run that stops half-way (a full disk) leaves no half tree a later run takes.
            Path partial = work.resolve(tree.getFileName() + ".partial");
            deleteTree(partial);
            generate(partial);
            Files.move(partial, tree);
        }
        run(true, "mksquashfs", tree.toString(), squashfs.toString(), "-noappend", "-no-progress", "-quiet",
                "-comp", COMPRESSION, "-b", SQUASHFS_BLOCK_KIB + "K");
        ImageOptions options = ImageOptions.encrypted(key);
        String chunkKib = System.getenv("BENCH_CHUNK_KIB");
        if (chunkKib != null) {
            options = options.withChunkSize(Integer.parseInt(chunkKib) << 10);
        }
        ImageHeader header = RootImageWriter.writeFile(squashfs, container, options);
        String digest = ContentDigest.ofFile(container);
        String plainDigest = ContentDigest.ofFile(squashfs);
        System.out.printf("image: squashfs (%s) %d MiB, container %d MiB, %d chunks of %d KiB%n", COMPRESSION,
                Files.size(squashfs) >> 20, Files.size(container) >> 20, header.chunkCount(), header.chunkSize() >> 10);

        run(false, "ip", "link", "set", "lo", "up");
        String link = System.getenv().getOrDefault("BENCH_EDGE_LINK", "1gbit");
        OriginServer origin = OriginServer.start(new OriginServer.Config(work.resolve("origin"), BearerToken.of(TOKEN),
                new InetSocketAddress("127.0.0.1", 0), null, HttpSettings.defaults(), 2));
        upload(origin.port(), digest, container);
        upload(origin.port(), plainDigest, squashfs);
        List<EdgeServer> edges = new ArrayList<>();
        List<URI> urls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            EdgeServer edge = EdgeServer.start(new EdgeServer.Config(work.resolve("edge" + i), 8L << 30,
                    "http://127.0.0.1:" + origin.port(), List.of(), new InetSocketAddress("127.0.0.1", 0), null, null, null,
                    Duration.ofSeconds(1), null, HttpSettings.defaults(), FillSettings.defaults(), Duration.ofMinutes(1), 2));
            edges.add(edge);
            urls.add(URI.create("http://127.0.0.1:" + edge.port()));
        }
        if (!link.equals("none")) {
            shapeEdges(edges, link);
        }
        String hex = ContentDigest.hex(digest);
        String plainHex = ContentDigest.hex(plainDigest);
        List<URI> plainBlobs = new ArrayList<>();
        for (URI url : urls) {
            run(false, "curl", "-sf", "-o", "/dev/null", url + "/blobs/sha256/" + hex);
            run(false, "curl", "-sf", "-o", "/dev/null", url + "/blobs/sha256/" + plainHex);
            plainBlobs.add(URI.create(url + "/blobs/sha256/" + plainHex));
        }
        List<Path> big = new ArrayList<>();
        for (int i = 0; i < BIG_FILES; i++) {
            big.add(Path.of("big", "file" + i + ".bin"));
        }
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        Path fuseDir = Files.createDirectories(work.resolve("fuse"));
        Path ram = Files.createDirectories(work.resolve("ram"));
        run(false, "mount", "-t", "tmpfs", "-o", "size=2g", "tmpfs", ram.toString());

        List<String> report = new ArrayList<>();
        report.add(measure("local disk (the limit)", squashfs, mnt, big, null).line());

        UrlmountReference urlmountLike = new UrlmountReference(plainBlobs, Files.size(squashfs));
        TimedFile referenceTrace = TRACE ? new TimedFile(urlmountLike, urlmountLike::bytes) : null;
        Figures reference = null;
        try (LibfuseMount single = LibfuseMount.mount(fuseDir, "root.sfs", TRACE ? referenceTrace : urlmountLike)) {
            // Tether's mount raises the kernel's read-ahead on its FUSE file; urlmount3's keeps the default.
            kernelReadAhead(fuseDir, 128);
            for (int round = 1; round <= ROUNDS; round++) {
                long requestsBefore = urlmountLike.requests();
                long bytesBefore = urlmountLike.bytes();
                reference = measure("reference (urlmount3's design)" + round(round), fuseDir.resolve("root.sfs"), mnt,
                        big, referenceTrace);
                report.add(reference.line() + String.format("   %d requests, %d MiB",
                        urlmountLike.requests() - requestsBefore, (urlmountLike.bytes() - bytesBefore) >> 20));
            }
        }
        String urlmount = System.getenv("URLMOUNT");
        if (urlmount != null && !urlmount.isBlank()) {
            List<String> command = new ArrayList<>(List.of(urlmount));
            plainBlobs.forEach(blob -> command.add(blob.toString()));
            command.add(fuseDir.toString());
            run(false, command.toArray(String[]::new));
            try {
                report.add(measure("real urlmount3 (" + Path.of(urlmount).getFileName() + ")",
                        fuseDir.resolve(plainHex), mnt, big, null).line());
            } finally {
                run(false, "fusermount3", "-u", fuseDir.toString());
            }
        }

        // The chunk cache a node gets (a fifth of the launcher's -XX:MaxDirectMemorySize=48m), not the bench JVM's: a
        // cache holding the whole image would serve the random reads below from memory, which the reference cannot.
        TetheredSettings tethered = TetheredSettings.defaults().withCacheBytes((48L << 20) / 5)
                .withFetch(FetchSettings.defaults().withConsole(line -> System.out.println("console: " + line)));
        String readAhead = System.getenv("BENCH_READ_AHEAD_KIB");
        if (readAhead != null) {
            tethered = tethered.withReadAheadBytes(Long.parseLong(readAhead) << 10);
        }
        for (int round = 1; round <= ROUNDS; round++) {
            report.add(fetchOnly(urls, digest, key, tethered, round(round)));
        }
        if (TRACE) {
            report.add(randomReadsAlone("reference, reader alone", new UrlmountReference(plainBlobs, Files.size(squashfs))));
            try (RemoteRootImage image = RemoteRootImage.open(urls, digest, key, tethered)) {
                report.add(randomReadsAlone("tethered, reader alone", image));
            }
        }
        report.add(String.format("container: %d chunks of %d KiB", header.chunkCount(), header.chunkSize() >> 10));
        LinkBound linkBound = link.equals("none") ? null : LinkBound.of(link, (long) BIG_FILES * BIG_FILE_MIB << 20,
                Files.size(squashfs), urls.size());
        if (linkBound != null) {
            report.add(linkBound.describe());
        }
        // BENCH_FUSE_READ_AHEAD_KB may list several windows (4096,128): a fresh tethered mount for each, in this run.
        String fuseReadAheads = System.getenv("BENCH_FUSE_READ_AHEAD_KB");
        List<String> windows = fuseReadAheads == null ? java.util.Collections.singletonList(null)
                : List.of(fuseReadAheads.split(","));
        for (int round = 1; round <= ROUNDS; round++) {
            for (String fuseReadAhead : windows) {
                report.addAll(measureTethered(urls, digest, key, fuseDir, mnt, big, tethered, reference, linkBound,
                        fuseReadAhead, round));
            }
        }

        // Untethered both ways a node can name its image: by a manifest, which pins the header (each chunk is then
        // bound as it arrives), and by the digest alone (tether.rootimage=, no node API), held to it as a whole.
        RootImagePin pin = new RootImagePin(digest, Files.size(container), RootImagePin.headerDigest(header),
                header.cipher(), key.keyIdHex(), header.chunkSize(), Files.size(squashfs));
        report.addAll(measureUntethered("pinned by a manifest", container, mnt,
                () -> RootImageMount.untethered(urls, pin, key, ram, p -> { }, FetchSettings.defaults())));
        report.addAll(measureUntethered("by its digest alone", container, mnt,
                () -> RootImageMount.untethered(urls, digest, key, ram, p -> { })));
        dropCaches();
        long t0 = System.nanoTime();
        run(false, "curl", "-sf", "-o", ram.resolve("curl.img").toString(), urls.get(0) + "/blobs/sha256/" + hex);
        long curl = System.nanoTime() - t0;
        Files.delete(ram.resolve("curl.img"));
        report.add(String.format("single curl of the whole container: %d ms, %.0f MiB/s", ms(curl),
                mib(Files.size(container)) / (curl / 1e9)));
        run(false, "umount", ram.toString());

        System.out.println();
        System.out.println("=== results (" + Runtime.getRuntime().availableProcessors() + " cores, loopback, "
                + (link.equals("none") ? "edges not shaped" : "each edge's link shaped to " + link) + ") ===");
        report.forEach(System.out::println);
        for (EdgeServer edge : edges) {
            edge.shutdown(Duration.ZERO);
        }
        origin.shutdown(Duration.ZERO);
        System.exit(0);
    }

    /** An untethered download of the whole image into the RAM disk, and its time to first file. */
    private static List<String> measureUntethered(String how, Path container, Path mnt,
            Callable<RootImageMount> download) throws Exception {
        dropCaches();
        long t0 = System.nanoTime();
        try (RootImageMount mount = download.call()) {
            long took = System.nanoTime() - t0;
            run(false, "mount", "-t", "squashfs", "-o", "ro,loop", mount.squashfsFile().toString(), mnt.toString());
            Files.readString(mnt.resolve("etc/os-release"));
            long ttff = System.nanoTime() - t0;
            run(false, "umount", mnt.toString());
            return List.of(String.format("time to first file (/etc/os-release), untethered, %s: %d ms", how, ms(ttff)),
                    String.format("untethered download from 3 edges, %s: %d ms, %.0f MiB/s", how, ms(took),
                            mib(Files.size(container)) / (took / 1e9)));
        }
    }

    /**
     * One round of the tethered reader: a fresh mount (cold chunk cache, new connections), its time to first file, then
     * the sequential and random reads through it, against the reference's figures and (null on unshaped loopback) the
     * links' bound.
     */
    private static List<String> measureTethered(List<URI> urls, String digest, ImageKey key, Path fuseDir, Path mnt,
            List<Path> big, TetheredSettings tethered, Figures reference, LinkBound linkBound, String fuseReadAhead,
            int round)
            throws Exception {
        List<String> lines = new ArrayList<>();
        dropCaches();
        long t0 = System.nanoTime();
        try (Tethered mount = TRACE ? Tethered.traced(urls, digest, key, fuseDir, tethered)
                : Tethered.of(RootImageMount.tethered(urls, digest, key, fuseDir, tethered))) {
            SquashfsLower.mount(mount.squashfsFile(), mnt, new Mounter(HostTools.fromEnvironment()), LOOP_DIRECT_IO);
            Files.readString(mnt.resolve("etc/os-release"));
            long ttffTethered = System.nanoTime() - t0;
            run(false, "umount", mnt.toString());
            if (fuseReadAhead != null) {
                kernelReadAhead(fuseDir, Integer.parseInt(fuseReadAhead.trim()));
            }
            String label = "tethered, 3 edges" + (LOOP_DIRECT_IO ? "" : ", page cache")
                    + (fuseReadAhead == null ? "" : " (kernel read-ahead " + fuseReadAhead.trim() + " KiB)") + round(round);
            Figures tetheredFigures = measure(label, mount.squashfsFile(), mnt, big, mount.trace(), true);
            lines.add(tetheredFigures.line());
            lines.add(String.format("%-36s sequential %7.2fx               random 4K %8.2fx",
                    "tethered / reference" + (ROUNDS == 1 ? "" : " (its last round)"),
                    tetheredFigures.sequential() / reference.sequential(), tetheredFigures.iops() / reference.iops())
                    + (linkBound == null ? "" : String.format("   sequential, share of the links' bound: reference %.0f%%,"
                    + " tethered %.0f%%", 100 * reference.sequential() / linkBound.oneLink(),
                    100 * tetheredFigures.sequential() / linkBound.allLinks())));
            lines.add(String.format("time to first file (/etc/os-release), tethered: %d ms", ms(ttffTethered)));
            BootReport.Fetch stats = mount.stats();
            lines.add(String.format("tethered fetched %d MiB for %d MiB read (%.1f%%), %d requests, %d hedges;"
                    + " cache %d MiB, read-ahead %d KiB", stats.bytes() >> 20, stats.usefulBytes() >> 20,
                    100.0 * stats.bytes() / Math.max(1, stats.usefulBytes()), stats.requests(), stats.hedges(),
                    tethered.cacheBytes() >> 20, tethered.readAheadBytes() >> 10));
        }
        return lines;
    }

    /**
     * What the links allow a sequential reader, in bytes of the big files a second: the link's rate in the image's
     * bytes times the files' bytes per byte of image (its compression). The reference reads over one link and the
     * tethered reader over all of them, so while the reference fills its link, tethered / reference can be at most
     * the number of edges: the figure to hold a ratio against.
     */
    private record LinkBound(double oneLink, int links, String rate, double filesPerImageByte) {
        static LinkBound of(String tcRate, long fileBytes, long imageBytes, int links) {
            double filesPerImageByte = (double) fileBytes / imageBytes;
            return new LinkBound(mib((long) (tcBitsPerSecond(tcRate) / 8)) * filesPerImageByte, links, tcRate,
                    filesPerImageByte);
        }

        double allLinks() {
            return oneLink * links;
        }

        String describe() {
            return String.format("link bound on sequential reads: %s a link, %.2f bytes of the files a byte of image:"
                    + " one link %.0f MiB/s, %d links %.0f MiB/s (tethered / reference at most %dx while the"
                    + " reference fills its link)", rate, filesPerImageByte, oneLink, links, allLinks(), links);
        }

        /** A tc rate ({@code 1gbit}, {@code 500mbit}, {@code 100kbit}): decimal multiples of bits a second. */
        static double tcBitsPerSecond(String rate) {
            Matcher m = Pattern.compile("([0-9.]+)(k|m|g|t)?bit").matcher(rate.trim().toLowerCase(java.util.Locale.ROOT));
            if (!m.matches()) {
                throw new IllegalArgumentException("BENCH_EDGE_LINK: not a rate in bits like 1gbit: " + rate);
            }
            double multiple = switch (m.group(2) == null ? "" : m.group(2)) {
                case "k" -> 1e3;
                case "m" -> 1e6;
                case "g" -> 1e9;
                case "t" -> 1e12;
                default -> 1;
            };
            return Double.parseDouble(m.group(1)) * multiple;
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    /** Names the round in a row's label when there are several; the last is the figure ({@link #ROUNDS}). */
    private static String round(int round) {
        return ROUNDS == 1 ? "" : round == ROUNDS ? ", round " + round + " (the figure)" : ", round " + round;
    }

    /**
     * 128 KiB reads (what the loop device asks of the FUSE file for one squashfs block) at random 4 KiB-aligned
     * places, through the reader's own API, one at a time: a reader's latency with no FUSE, loop device or squashfs.
     */
    private static String randomReadsAlone(String label, ReadOnlyFile file) throws IOException {
        Random random = new Random(7);
        ByteBuffer buffer = ByteBuffer.allocateDirect(128 << 10);
        long pages = (file.size() - buffer.capacity()) >> 12;
        for (int i = 0; i < 50; i++) {
            file.read((random.nextLong(pages)) << 12, buffer.clear());
        }
        long[] nanos = new long[400];
        for (int i = 0; i < nanos.length; i++) {
            long t0 = System.nanoTime();
            file.read((random.nextLong(pages)) << 12, buffer.clear());
            nanos[i] = System.nanoTime() - t0;
        }
        long total = java.util.Arrays.stream(nanos).sum();
        java.util.Arrays.sort(nanos);
        String line = String.format("%-36s random 128 KiB reads: mean %d us, p50 %d us, p90 %d us", label,
                total / nanos.length / 1000, nanos[nanos.length / 2] / 1000, nanos[nanos.length * 9 / 10] / 1000);
        System.out.println(line);
        return line;
    }

    /**
     * The tethered reader's fetch pipeline alone: the whole image read in order through its own API, 1 MiB
     * at a time, with no FUSE, loop device or squashfs in the way. Against the sequential row through the
     * mount, it shows what the kernel's side costs on this machine.
     */
    private static String fetchOnly(List<URI> urls, String digest, ImageKey key, TetheredSettings settings,
            String round) throws IOException {
        try (RemoteRootImage image = RemoteRootImage.open(urls, digest, key, settings)) {
            ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
            long t0 = System.nanoTime();
            long position = 0;
            for (int n; (n = image.read(position, buffer.clear())) > 0; ) {
                position += n;
            }
            String line = String.format("%-36s whole image %7.1f MiB/s (compressed bytes, no FUSE or squashfs)",
                    "tethered fetch pipeline alone" + round, mib(position) / ((System.nanoTime() - t0) / 1e9));
            System.out.println(line);
            return line;
        }
    }

    /**
     * Sequential read of the big files and random 4 KiB reads of them ({@link #RANDOM_READS}, each in a squashfs
     * block of its own), through the mounted squashfs, each from cold caches: the random reads measure the reader,
     * not memory.
     */
    private record Figures(String line, double sequential, double iops) {
    }

    private static Figures measure(String label, Path squashfsFile, Path mnt, List<Path> big, TimedFile trace)
            throws Exception {
        return measure(label, squashfsFile, mnt, big, trace, false);
    }

    /** @param directIo whether the loop device reads the file with direct I/O, as the boot agent mounts its root */
    private static Figures measure(String label, Path squashfsFile, Path mnt, List<Path> big, TimedFile trace,
            boolean directIo) throws Exception {
        dropCaches();
        // As the boot agent mounts its root: a tethered root's loop device reads the FUSE file with direct I/O.
        SquashfsLower lower = SquashfsLower.mount(squashfsFile, mnt, new Mounter(HostTools.fromEnvironment()),
                directIo && LOOP_DIRECT_IO);
        if (directIo && LOOP_DIRECT_IO && !lower.readPath().equals("direct I/O")) {
            System.out.println("the tethered loop device did not take direct I/O: it reads through the page cache");
        }
        try {
            if (trace != null) {
                trace.phase("mount");
            }
            long bytes = 0;
            long[] cpuBefore = cpuTicks();
            long t0 = System.nanoTime();
            byte[] buffer = new byte[1 << 20];
            for (Path file : big) {
                try (InputStream in = Files.newInputStream(mnt.resolve(file))) {
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        bytes += n;
                    }
                }
            }
            double sequential = mib(bytes) / ((System.nanoTime() - t0) / 1e9);
            long[] cpuAfter = cpuTicks();
            if (trace != null) {
                System.out.println(trace.phase("sequential"));
            }
            double busy = 100.0 * (cpuAfter[0] - cpuBefore[0]) / Math.max(1, cpuAfter[1] - cpuBefore[1]);
            dropCaches();
            Path readLog = randomReadLog(mnt, big);
            String fio = run(false, "fio", "--name=rand", "--read_iolog=" + readLog, "--fadvise_hint=random",
                    "--ioengine=psync", "--readonly", "--output-format=json");
            Matcher iops = Pattern.compile("\"iops\"\\s*:\\s*([0-9.]+)").matcher(fio);
            double randomIops = iops.find() ? Double.parseDouble(iops.group(1)) : -1;
            if (trace != null) {
                System.out.println(trace.phase("random 4K"));
            }
            String line = String.format("%-36s sequential %7.1f MiB/s (CPU %3.0f%% busy)   random 4K %8.0f IOPS (%.2f MiB/s)",
                    label, sequential, busy, randomIops, randomIops * 4 / 1024);
            System.out.println(line);
            return new Figures(line, sequential, randomIops);
        } finally {
            run(false, "umount", mnt.toString());
        }
    }

    /**
     * An I/O log for fio to replay: {@link #RANDOM_READS} reads of 4 KiB, each at a random page of a squashfs block of
     * the big files that no other read touches, in random order; the same reads for every reader (a fixed seed). fio's
     * own random reads cannot do this: its map of blocks read is off when reads are aligned to a block, so a third of
     * them would hit a block already in the page cache.
     */
    private static Path randomReadLog(Path mnt, List<Path> big) throws IOException {
        int pagesPerBlock = SQUASHFS_BLOCK_KIB / 4;
        long blocksPerFile = (long) BIG_FILE_MIB * 1024 / SQUASHFS_BLOCK_KIB;
        List<long[]> blocks = new ArrayList<>();
        for (int file = 0; file < big.size(); file++) {
            for (long block = 0; block < blocksPerFile; block++) {
                blocks.add(new long[] {file, block});
            }
        }
        Random random = new Random(16);
        Collections.shuffle(blocks, random);
        List<String> files = big.stream().map(f -> mnt.resolve(f).toString()).toList();
        StringBuilder log = new StringBuilder("fio version 2 iolog\n");
        files.forEach(f -> log.append(f).append(" add\n"));
        files.forEach(f -> log.append(f).append(" open\n"));
        for (long[] block : blocks.subList(0, Math.min(RANDOM_READS, blocks.size()))) {
            long offset = (block[1] * pagesPerBlock + random.nextInt(pagesPerBlock)) * 4096;
            log.append(files.get((int) block[0])).append(" read ").append(offset).append(" 4096\n");
        }
        files.forEach(f -> log.append(f).append(" close\n"));
        Path file = Files.createTempFile("random-reads", ".fio-log");
        file.toFile().deleteOnExit();
        return Files.writeString(file, log);
    }

    /** The tethered mount as a node gets it, or (BENCH_TRACE) the same reader with its FUSE reads timed. */
    private interface Tethered extends AutoCloseable {
        Path squashfsFile();

        BootReport.Fetch stats();

        TimedFile trace();

        @Override
        void close() throws IOException;

        static Tethered of(RootImageMount mount) {
            return new Tethered() {
                public Path squashfsFile() {
                    return mount.squashfsFile();
                }

                public BootReport.Fetch stats() {
                    return mount.stats();
                }

                public TimedFile trace() {
                    return null;
                }

                public void close() throws IOException {
                    mount.close();
                }
            };
        }

        static Tethered traced(List<URI> urls, String digest, ImageKey key, Path fuseDir, TetheredSettings settings)
                throws IOException {
            RemoteRootImage image = RemoteRootImage.open(urls, digest, key, settings);
            TimedFile timed = new TimedFile(image, () -> image.stats().bytes());
            FuseMount fuse = FuseMount.mount(fuseDir, RootImageMount.FILE_NAME, timed);
            return new Tethered() {
                public Path squashfsFile() {
                    return fuseDir.resolve(RootImageMount.FILE_NAME);
                }

                public BootReport.Fetch stats() {
                    return image.stats();
                }

                public TimedFile trace() {
                    return timed;
                }

                public void close() throws IOException {
                    try {
                        fuse.close();
                    } finally {
                        image.close();
                    }
                }
            };
        }
    }

    /**
     * Each edge behind a link of its own: an HTB class per edge on loopback, matched by the edge's source
     * port, so what one edge sends is capped at {@code rate} while the node's side is not. Everything else
     * on loopback (the origin, the bench's control traffic) goes through an unlimited default class.
     */
    private static void shapeEdges(List<EdgeServer> edges, String rate) throws IOException, InterruptedException {
        run(false, "tc", "qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "ffff", "r2q", "1000");
        run(false, "tc", "class", "add", "dev", "lo", "parent", "1:", "classid", "1:ffff", "htb", "rate", "100gbit");
        for (int i = 0; i < edges.size(); i++) {
            String classId = "1:" + (i + 1);
            run(false, "tc", "class", "add", "dev", "lo", "parent", "1:", "classid", classId, "htb", "rate", rate, "ceil", rate);
            run(false, "tc", "filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
                    "match", "ip", "sport", Integer.toString(edges.get(i).port()), "0xffff", "flowid", classId);
        }
        System.out.println("each edge's link shaped to " + rate + " (BENCH_EDGE_LINK=none for plain loopback)");
    }

    /** Sets the kernel's read-ahead of the FUSE file system mounted at {@code mountPoint} (its backing device info). */
    private static void kernelReadAhead(Path mountPoint, int kib) throws IOException {
        Files.writeString(Path.of("/sys/class/bdi/" + DeviceNumber.ofFileSystemAt(mountPoint)
                + "/read_ahead_kb"), Integer.toString(kib));
    }

    private static void generate(Path tree) throws IOException {
        Random random = new Random(1);
        Files.createDirectories(tree.resolve("etc"));
        Files.writeString(tree.resolve("etc/os-release"), "PRETTY_NAME=\"Tether bench image\"\n");
        Files.createDirectories(tree.resolve("big"));
        byte[] block = new byte[1 << 20];
        for (int i = 0; i < BIG_FILES; i++) {
            try (var out = Files.newOutputStream(tree.resolve("big/file" + i + ".bin"))) {
                for (int m = 0; m < BIG_FILE_MIB; m++) {
                    random.nextBytes(block);
                    // Half random, half text: compressible like binaries and libraries are.
                    for (int p = block.length / 2; p < block.length; p++) {
                        block[p] = (byte) ('a' + (p % 23));
                    }
                    out.write(block);
                }
            }
        }
        for (int i = 0; i < 2000; i++) {
            Path dir = Files.createDirectories(tree.resolve("usr/share/d" + (i % 40)));
            byte[] small = new byte[random.nextInt(16_384)];
            random.nextBytes(small);
            Files.write(dir.resolve("f" + i), small);
        }
    }

    private static void upload(int port, String digest, Path container) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/blobs/sha256/" + ContentDigest.hex(digest)))
                    .header("Authorization", "Bearer " + TOKEN).PUT(HttpRequest.BodyPublishers.ofFile(container)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new IOException("upload failed: " + response.statusCode() + " " + response.body());
            }
        }
    }

    /** Busy and total ticks of all CPUs so far, from the first line of /proc/stat (idle and iowait are not busy). */
    private static long[] cpuTicks() throws IOException {
        String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < fields.length; i++) {
            total += Long.parseLong(fields[i]);
        }
        return new long[] {total - Long.parseLong(fields[4]) - Long.parseLong(fields[5]), total};
    }

    private static void dropCaches() throws IOException, InterruptedException {
        run(false, "sync");
        Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
    }

    private static String run(boolean inherit, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (inherit) {
            builder.inheritIO();
        }
        Process process = builder.start();
        String output = inherit ? "" : new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private static double mib(long bytes) {
        return bytes / (double) (1 << 20);
    }
}
