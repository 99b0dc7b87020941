package dev.tether.agent.image;

import dev.tether.agent.root.HostTools;
import dev.tether.agent.root.Mounter;
import dev.tether.agent.root.SquashfsLower;
import dev.tether.image.format.ImageKey;
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
 * <p>Arguments: {@code key=value}: method, edges (comma-separated), digest, key (hex or none), work, tree,
 * and optionally probe (a plaintext offset read through the FUSE file before anything else).
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
        } else {
            Path ram = Files.createDirectories(work.resolve("ram"));
            run("mount", "-t", "tmpfs", "-o", "size=512m", "tmpfs", ram.toString());
            mount = RootImageMount.untethered(edges, a.get("digest"), key, ram, p -> System.out.println("DOWNLOAD " + p.describe()));
            FileStore store = Files.getFileStore(ram);
            System.out.println("TMPFS " + (store.getTotalSpace() - store.getUnallocatedSpace()) + " "
                    + Files.size(mount.squashfsFile()));
        }
        // As the boot agent mounts it: a tethered root's loop device switched to direct I/O.
        SquashfsLower lower = SquashfsLower.mount(mount.squashfsFile(), mnt, new Mounter(HostTools.fromEnvironment()),
                "tethered".equals(a.get("method")));
        System.out.println("LOWER " + lower.readPath());
        System.out.println("MOUNTED " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " "
                + Files.readString(mnt.resolve("etc/os-release")).lines().findFirst().orElse(""));
        // What mounting and reading one small file cost: the squashfs's tables and that file's block.
        System.out.println("FIRST-FILE " + mount.stats());
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

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).inheritIO().start();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed");
        }
    }
}
