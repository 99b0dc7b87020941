package dev.tether.agent;

import dev.tether.agent.image.TetheredSettings;
import dev.tether.agent.root.DeviceNumber;
import dev.tether.nodeapi.BootReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What this agent process costs the node's memory: its anonymous memory (heap, chunk cache, metaspace, code,
 * stacks, malloc) and the files it keeps in RAM. A file mapped or open in this process
 * that lies on a RAM filesystem (rootfs, ramfs, tmpfs: the initramfs, where the agent's runtime and jar are)
 * stays in memory, whole, for as long as the process holds it, even after the initramfs is emptied at the
 * switch to the real root. File pages from a disk or FUSE cost nothing that could not be dropped, so they are
 * not counted. (The resident pages of a mapped file on tmpfs show as {@code RssShmem} too: they are the same
 * memory as the held files, so that figure is not added; the agent has no shared memory of its own.)
 *
 * <p>The agent's runtime is a squashfs on a loop device (bin/tether-agent mounts it): the files the JVM maps from it
 * are page cache the kernel can drop, but the squashfs file behind the loop device lies on the initramfs, a RAM
 * filesystem, and the kernel holds it, not this process's fds or maps. So a file on a loop device counts the loop
 * device's backing file when that lies on a RAM filesystem, once however many files of the mount are held.
 *
 * @param rssAnonBytes  resident anonymous memory ({@code RssAnon})
 * @param heldFileBytes the sizes of the distinct files held on RAM filesystems
 * @param heldFiles     how many such files
 */
public record AgentFootprint(long rssAnonBytes, long heldFileBytes, int heldFiles) {
    private static final Set<String> RAM_FILESYSTEMS = Set.of("rootfs", "ramfs", "tmpfs");

    /** The whole cost: memory the node cannot get back while the agent runs. */
    public long totalBytes() {
        return rssAnonBytes + heldFileBytes;
    }

    /** This process, now. */
    public static AgentFootprint measure() throws IOException {
        return measure(Path.of("/proc/self"));
    }

    /** The process whose {@code /proc/<pid>} directory is {@code proc}. */
    public static AgentFootprint measure(Path proc) throws IOException {
        return measure(proc, Path.of("/sys/dev/block"));
    }

    /** As {@link #measure(Path)}, with the loop devices described under {@code sysDevBlock} ({@code /sys/dev/block}). */
    static AgentFootprint measure(Path proc, Path sysDevBlock) throws IOException {
        Map<String, Long> status = status(proc.resolve("status"));
        List<Mount> mounts = mounts(proc.resolve("mountinfo"));
        Set<Long> ramDevices = ramDevices(mounts);
        long held = 0;
        int files = 0;
        Set<Long> loopDevicesCounted = new HashSet<>();
        for (Path file : mappedOrOpen(proc)) {
            Optional<long[]> deviceAndSize = deviceAndSize(file);
            if (deviceAndSize.isEmpty()) {
                continue;
            }
            long device = deviceAndSize.get()[0];
            if (ramDevices.contains(device)) {
                held += deviceAndSize.get()[1];
                files++;
            } else if (!loopDevicesCounted.contains(device)) {
                OptionalLong backing = heldBackingFile(sysDevBlock, device, mounts);
                if (backing.isPresent()) {
                    loopDevicesCounted.add(device);
                    held += backing.getAsLong();
                    files++;
                }
            }
        }
        return new AgentFootprint(status.getOrDefault("RssAnon", 0L), held, files);
    }

    /**
     * The size of the file behind the loop device {@code device} when that file lies on a RAM filesystem; empty for
     * another device, or a loop device whose file is on a disk. The name in {@code loop/backing_file} is as this
     * process sees it; once the initramfs was emptied at the switch to the real root it ends in " (deleted)", and
     * the file, which the kernel keeps for the loop device, is then judged by the mount its name was on and sized
     * by the loop device (whose size is the file's, squashfs files being whole 4 KiB blocks).
     */
    static OptionalLong heldBackingFile(Path sysDevBlock, long device, List<Mount> mounts) {
        Path block = sysDevBlock.resolve(DeviceNumber.decode(device).toString());
        Path backingFile = block.resolve("loop/backing_file");
        try {
            if (!Files.isRegularFile(backingFile)) {
                return OptionalLong.empty();
            }
            String name = Files.readString(backingFile).strip();
            String deleted = " (deleted)";
            if (name.endsWith(deleted)) {
                String path = name.substring(0, name.length() - deleted.length());
                boolean onRam = mountOf(path, mounts).map(mount -> RAM_FILESYSTEMS.contains(mount.type())).orElse(false);
                return onRam ? OptionalLong.of(Long.parseLong(Files.readString(block.resolve("size")).strip()) * 512)
                        : OptionalLong.empty();
            }
            Optional<long[]> deviceAndSize = deviceAndSize(Path.of(name));
            return deviceAndSize.isPresent() && ramDevices(mounts).contains(deviceAndSize.get()[0])
                    ? OptionalLong.of(deviceAndSize.get()[1]) : OptionalLong.empty();
        } catch (IOException | NumberFormatException | java.nio.file.InvalidPathException e) {
            return OptionalLong.empty();
        }
    }

    /** The mount whose mount point is the longest prefix of {@code path}. */
    private static Optional<Mount> mountOf(String path, List<Mount> mounts) {
        Mount best = null;
        for (Mount mount : mounts) {
            String point = mount.mountPoint();
            boolean covers = path.equals(point) || point.equals("/") || path.startsWith(point + "/");
            if (covers && (best == null || point.length() > best.mountPoint().length())) {
                best = mount;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * This process's cost and bounds for the boot report, said on the console too; empty (with a console
     * line) when /proc cannot tell.
     */
    public static Optional<BootReport.AgentMemory> report(AgentConsole console) {
        try {
            AgentFootprint now = measure();
            long cache = TetheredSettings.defaults().cacheBytes();
            long direct = TetheredSettings.directMemoryLimit().orElse(Runtime.getRuntime().maxMemory());
            console.info("agent memory: " + now.describe() + "; bounds: heap " + mib(Runtime.getRuntime().maxMemory())
                    + ", direct " + mib(direct) + " (chunk cache " + mib(cache) + ")");
            return Optional.of(new BootReport.AgentMemory(now.rssAnonBytes(), now.heldFileBytes(), cache,
                    Runtime.getRuntime().maxMemory(), direct));
        } catch (IOException e) {
            console.info("cannot measure the agent's memory for the boot report: " + e.getMessage());
            return Optional.empty();
        }
    }

    /** One line for the console and the selftest. */
    public String describe() {
        return mib(totalBytes()) + " (anonymous " + mib(rssAnonBytes) + ", " + heldFiles + " files kept in RAM "
                + mib(heldFileBytes) + ")";
    }

    public static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1 << 20));
    }

    /** The {@code kB} fields of {@code /proc/<pid>/status}, in bytes. */
    static Map<String, Long> status(Path file) throws IOException {
        Map<String, Long> values = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.endsWith(" kB")) {
                String number = line.substring(colon + 1, line.length() - 3).strip();
                try {
                    values.put(line.substring(0, colon), Long.parseLong(number) * 1024);
                } catch (NumberFormatException e) {
                    // Not a size; skipped.
                }
            }
        }
        return values;
    }

    /** One line of {@code /proc/<pid>/mountinfo}: the mounted filesystem's device, where it is mounted, its type. */
    record Mount(long device, String mountPoint, String type) {
    }

    /** The mounts in a {@code mountinfo} file, in its order. */
    static List<Mount> mounts(Path mountinfo) throws IOException {
        List<Mount> mounts = new ArrayList<>();
        for (String line : Files.readAllLines(mountinfo)) {
            // "36 25 0:32 / /run rw,nosuid - tmpfs tmpfs rw": field 3 is the device, field 5 the mount point (with
            // octal escapes for spaces and the like), the type follows " - ".
            String[] fields = line.split(" ");
            int separator = line.indexOf(" - ");
            if (fields.length < 5 || separator < 0) {
                continue;
            }
            String type = line.substring(separator + 3).split(" ")[0];
            String[] device = fields[2].split(":");
            if (device.length == 2) {
                mounts.add(new Mount(new DeviceNumber(Long.parseLong(device[0]), Long.parseLong(device[1])).encoded(),
                        unescape(fields[4]), type));
            }
        }
        return mounts;
    }

    /** The device numbers ({@code major:minor} as {@code unix:dev} gives them) of RAM filesystems. */
    static Set<Long> ramDevices(Path mountinfo) throws IOException {
        return ramDevices(mounts(mountinfo));
    }

    private static Set<Long> ramDevices(List<Mount> mounts) {
        Set<Long> devices = new HashSet<>();
        for (Mount mount : mounts) {
            if (RAM_FILESYSTEMS.contains(mount.type())) {
                devices.add(mount.device());
            }
        }
        return devices;
    }

    /** mountinfo writes space, tab, newline and backslash in a path as {@code \ooo}. */
    private static String unescape(String field) {
        StringBuilder path = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 4 <= field.length() && field.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                path.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                path.append(c);
            }
        }
        return path.toString();
    }

    /** Regular files in {@code /proc/<pid>/maps} and behind {@code /proc/<pid>/fd}, through /proc's own links. */
    private static Set<Path> mappedOrOpen(Path proc) throws IOException {
        Set<Path> files = new LinkedHashSet<>();
        Path mapFiles = proc.resolve("map_files");
        try (Stream<Path> maps = Files.list(mapFiles)) {
            // One link per mapping, named by its address range; through it even a deleted file can be stat'ed.
            Map<String, Path> byTarget = new HashMap<>();
            for (Path link : maps.toList()) {
                try {
                    byTarget.putIfAbsent(Files.readSymbolicLink(link).toString(), link);
                } catch (IOException e) {
                    // The mapping went away meanwhile.
                }
            }
            files.addAll(byTarget.values());
        } catch (IOException e) {
            // map_files needs CAP_SYS_ADMIN; without it only the open files count.
        }
        try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
            Map<String, Path> byTarget = new HashMap<>();
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("/")) {
                        byTarget.putIfAbsent(target, fd);
                    }
                } catch (IOException e) {
                    // Closed meanwhile.
                }
            }
            // A file both mapped and open counts once.
            Set<String> mapped = new HashSet<>();
            for (Path link : List.copyOf(files)) {
                try {
                    mapped.add(Files.readSymbolicLink(link).toString());
                } catch (IOException e) {
                    // Gone meanwhile.
                }
            }
            byTarget.forEach((target, fd) -> {
                if (!mapped.contains(target)) {
                    files.add(fd);
                }
            });
        }
        return files;
    }

    private static Optional<long[]> deviceAndSize(Path link) {
        try {
            if (!Files.isRegularFile(link)) {
                return Optional.empty();
            }
            Object device = Files.getAttribute(link, "unix:dev");
            return Optional.of(new long[] {((Number) device).longValue(), Files.size(link)});
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            return Optional.empty();
        }
    }
}
