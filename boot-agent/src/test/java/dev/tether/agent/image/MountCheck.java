package dev.tether.agent.image;

import dev.tether.agent.root.DeviceNumber;
import dev.tether.agent.root.HostTools;
import dev.tether.agent.root.Mounter;
import dev.tether.agent.root.SquashfsLower;
import dev.tether.image.format.ImageCipher;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.RootImagePin;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs in a child JVM inside a private mount namespace ({@code unshare --mount}): mounts the root image
 * tethered (FUSE) or untethered (download into a fresh tmpfs), loop-mounts the squashfs and compares every
 * file with the source tree, reporting on standard output one line per event for the test to follow:
 * {@code MOUNTED}, {@code PROGRESS i n}, {@code CONSOLE text}, {@code MISMATCH path}, {@code ERROR path text},
 * {@code TMPFS used file}, {@code STATS ...}, {@code RESULT files mismatches errors}.
 *
 * <p>Arguments: {@code key=value}: method (tethered, untethered, or untethered-served: served from the edges until
 * its copy in RAM is complete, then moved onto it, {@code MOVED backing-file served fuse-mounted}), edges
 * (comma-separated), digest, key (hex or none), work, tree, optionally probe (a plaintext offset read through the FUSE
 * file before anything else), and for untethered-served pin (container size, header digest, chunk size, squashfs
 * size, comma-separated).
 */
public final class MountCheck {
    private MountCheck() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Arrays.stream(args).map(s -> s.split("=", 2))
                .collect(Collectors.toMap(kv -> kv[0], kv -> kv[1]));
        List<URI> edges = Arrays.stream(a.get("edges").split(",")).map(URI::create).toList();
        ImageKey key = "none".equals(a.get("key")) ? null : ImageKey.of(HexFormat.of().parseHex(a.get("key")));
        Path work = Path.of(a.get("work"));
        Path tree = Path.of(a.get("tree"));
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        long start = System.nanoTime();
        RootImageMount mount;
        if ("tethered".equals(a.get("method"))) {
            FetchSettings fetch = FetchSettings.defaults()
                    .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(3))
                    .withBackoff(new Backoff(Duration.ofMillis(100), Duration.ofMillis(500)))
                    .withConsoleInterval(Duration.ofMillis(500))
                    .withConsole(line -> System.out.println("CONSOLE " + line));
            mount = RootImageMount.tethered(edges, a.get("digest"), key, work.resolve("fuse"),
                    new TetheredSettings(2L << 20, 1L << 20, fetch));
            if (a.containsKey("probe")) {
                try (RandomAccessFile file = new RandomAccessFile(mount.squashfsFile().toFile(), "r")) {
                    file.seek(Long.parseLong(a.get("probe")));
                    file.readFully(new byte[4096]);
                }
            }
        } else if ("untethered-served".equals(a.get("method"))) {
            Path ram = ramDisk(work);
            String[] p = a.get("pin").split(",");
            RootImagePin pin = new RootImagePin(a.get("digest"), Long.parseLong(p[0]), p[1], ImageCipher.AES_256_GCM,
                    key.keyIdHex(), Integer.parseInt(p[2]), Long.parseLong(p[3]));
            mount = RootImageMount.untetheredServedUntilInRam(edges, pin, key, ram, TetheredSettings.defaults());
        } else {
            Path ram = ramDisk(work);
            mount = RootImageMount.untethered(edges, a.get("digest"), key, ram, p -> System.out.println("DOWNLOAD " + p.describe()));
            printTmpfs(mount.squashfsFile());
        }
        // As the boot agent mounts it: a tethered root's loop device switched to direct I/O.
        Mounter mounter = new Mounter(HostTools.fromEnvironment());
        SquashfsLower lower = mount.fillsRam() ? SquashfsLower.mountMovable(mount.squashfsFile(), mnt, mounter)
                : SquashfsLower.mount(mount.squashfsFile(), mnt, mounter, "tethered".equals(a.get("method")));
        System.out.println("LOWER " + lower.readPath());
        System.out.println("MOUNTED " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " "
                + Files.readString(mnt.resolve("etc/os-release")).lines().findFirst().orElse(""));
        // What mounting and reading one small file cost: the squashfs's tables and that file's block.
        System.out.println("FIRST-FILE " + mount.stats());
        if (mount.fillsRam()) {
            // As the agent does behind the running node: the copy in RAM, the squashfs moved onto it, the edges let go.
            // A reader still at work when the copy is asked for: the copy waits until its reads have paused.
            long[] readerEnd = new long[1];
            Thread reader = Thread.ofPlatform().start(() -> {
                try {
                    for (Path relative : SourceTree.files(tree)) {
                        Files.readAllBytes(mnt.resolve(relative));
                    }
                } catch (IOException e) {
                    System.out.println("ERROR reader " + e);
                }
                readerEnd[0] = System.nanoTime();
            });
            long[] copyStart = new long[1];
            Path copy = mount.fillRam(wait -> copyStart[0] = System.nanoTime(),
                    p -> System.out.println("DOWNLOAD " + p.describe()));
            reader.join();
            System.out.println("COPY-AFTER-READS " + TimeUnit.NANOSECONDS.toMillis(copyStart[0] - readerEnd[0]));
            lower.moveTo(copy);
            mount.stopServing();
            System.out.println("MOVED " + Files.readString(Path.of("/sys/dev/block",
                    DeviceNumber.ofFileSystemAt(mnt).toString(), "loop/backing_file")).strip() + " "
                    + mount.servedByThisProcess() + " "
                    + Files.readString(Path.of("/proc/self/mountinfo")).contains(" fuse."));
            printTmpfs(copy);
        }
        List<Path> files = SourceTree.files(tree);
        List<Path> mounted = SourceTree.files(mnt);
        int mismatches = 0;
        int errors = 0;
        if (!mounted.equals(files)) {
            System.out.println("MISMATCH the mounted tree lists " + mounted.size() + " files, the source " + files.size());
            mismatches++;
        }
        for (int i = 0; i < files.size(); i++) {
            Path relative = files.get(i);
            try {
                if (!Arrays.equals(Files.readAllBytes(tree.resolve(relative)), Files.readAllBytes(mnt.resolve(relative)))) {
                    System.out.println("MISMATCH " + relative);
                    mismatches++;
                }
            } catch (IOException e) {
                System.out.println("ERROR " + relative + " " + e);
                errors++;
            }
            System.out.println("PROGRESS " + (i + 1) + " " + files.size());
        }
        System.out.println("STATS " + mount.stats());
        lower.close();
        mount.close();
        System.out.println("RESULT " + files.size() + " " + mismatches + " " + errors);
        System.exit(0);
    }

    /** A fresh tmpfs at {@code work/ram}, as the agent mounts its RAM disk. */
    private static Path ramDisk(Path work) throws IOException, InterruptedException {
        Path ram = Files.createDirectories(work.resolve("ram"));
        run("mount", "-t", "tmpfs", "-o", "size=512m", "tmpfs", ram.toString());
        return ram;
    }

    /** {@code TMPFS used size}: what the RAM disk holding {@code file} uses, and the file's size. */
    private static void printTmpfs(Path file) throws IOException {
        FileStore store = Files.getFileStore(file.getParent());
        System.out.println("TMPFS " + (store.getTotalSpace() - store.getUnallocatedSpace()) + " " + Files.size(file));
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).inheritIO().start();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed");
        }
    }
}
