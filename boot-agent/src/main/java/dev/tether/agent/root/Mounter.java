package dev.tether.agent.root;

import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import dev.tether.agent.Libc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Mounts and unmounts with mount(2) and umount2(2), as mount(8) and umount(8) would, with the mount point created first
 * and errors made actionable. System calls, not the tools: on an emulated machine every tool the JVM starts costs about
 * half a second, and the root needs three mounts (see {@link Libc}).
 */
public final class Mounter {
    private static final long MS_RDONLY = 1;

    /**
     * mount(8)'s options that are flags of mount(2) (linux/mount.h), or none ({@code rw}, {@code defaults}, which
     * mount(8) does not pass on either); every other option is the filesystem's own.
     */
    private static final Map<String, Long> FLAGS = Map.ofEntries(Map.entry("ro", MS_RDONLY), Map.entry("rw", 0L),
            Map.entry("defaults", 0L), Map.entry("nosuid", 2L), Map.entry("nodev", 4L), Map.entry("noexec", 8L),
            Map.entry("sync", 16L), Map.entry("dirsync", 128L), Map.entry("noatime", 1024L),
            Map.entry("nodiratime", 2048L), Map.entry("relatime", 1L << 21));

    private final HostTools tools;

    public Mounter(HostTools tools) {
        this.tools = tools;
    }

    /** The tools that have no system call of their own (mkfs.xfs, modprobe). */
    public HostTools tools() {
        return tools;
    }

    /**
     * Mounts {@code source} on {@code target}.
     *
     * @param options mount(8)'s comma-separated options: the flags it knows ({@code ro}, {@code noatime}...) and the
     *     filesystem's own ({@code discard}, {@code lowerdir=...}), which reach the filesystem as they are
     * @param hint what to check when mount fails, e.g. which kernel module must be present
     */
    public void mount(String type, String options, String source, Path target, String hint)
            throws RootSetupException {
        createDirectory(target);
        long flags = 0;
        List<String> data = new ArrayList<>();
        for (String option : options == null || options.isEmpty() ? new String[0] : options.split(",")) {
            Long flag = FLAGS.get(option);
            if (flag != null) {
                flags |= flag;
            } else {
                data.add(option);
            }
        }
        mount(type, flags, data.isEmpty() ? null : String.join(",", data), source, source, target, hint);
    }

    /**
     * Mounts the filesystem image {@code file} read-only from a loop device made for it, as {@code mount -o loop,ro}.
     * The loop device goes when the filesystem is unmounted.
     *
     * @param directIo whether the loop device is to read the file with direct I/O, where the file takes it
     * @return the loop device, held open for the caller, who closes it (the device stays with the mount) or keeps it to
     *     move the filesystem onto another file
     */
    LoopDevice mountFile(String type, Path file, Path target, boolean directIo, String hint) throws RootSetupException {
        createDirectory(target);
        LoopDevice loop = LoopDevice.attach(file, directIo);
        try {
            mount(type, MS_RDONLY, null, loop.path().toString(), file + " (through " + loop.path() + ")", target, hint);
            return loop;
        } catch (RootSetupException | RuntimeException e) {
            loop.close();
            throw e;
        }
    }

    public void unmount(Path target) throws RootSetupException {
        if (Libc.get().umount2(target.toString(), 0) != 0) {
            throw new RootSetupException("unmounting " + target + " failed: " + Libc.failure(Native.getLastError())
                    + "; something still uses it (a process's working directory or an open file)");
        }
    }

    /** @param described the source as the message names it: an image file with its loop device */
    private static void mount(String type, long flags, String data, String source, String described, Path target,
            String hint) throws RootSetupException {
        if (Libc.get().mount(source, target.toString(), type, new NativeLong(flags), data) != 0) {
            throw new RootSetupException("mounting " + type + " " + described + " on " + target + " failed: "
                    + Libc.failure(Native.getLastError()) + "; " + hint);
        }
    }

    /** True when {@code dir} is a mount point, read from {@code /proc/self/mountinfo}. */
    public static boolean isMountPoint(Path dir) throws IOException {
        String wanted = dir.toAbsolutePath().normalize().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] fields = line.split(" ");
            if (fields.length > 4 && unescape(fields[4]).equals(wanted)) {
                return true;
            }
        }
        return false;
    }

    static void createDirectory(Path dir) throws RootSetupException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new RootSetupException("cannot create the mount point " + dir + ": " + e.getMessage(), e);
        }
    }

    /** mountinfo writes space, tab, newline and backslash in paths as octal escapes. */
    private static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
