package dev.tether.imgutil.util;

import dev.tether.imgutil.UserError;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The host tools imgutil needs, and which Debian package brings each, so a missing one is one clear line. */
public final class Tools {
    private static final Map<String, String> PACKAGES = Map.ofEntries(
            Map.entry("debootstrap", "debootstrap"),
            Map.entry("dnf", "dnf"),
            Map.entry("mksquashfs", "squashfs-tools"),
            Map.entry("unsquashfs", "squashfs-tools"),
            Map.entry("unshare", "util-linux"),
            Map.entry("mount", "mount"),
            Map.entry("cp", "coreutils"),
            Map.entry("rsync", "rsync"),
            Map.entry("skopeo", "skopeo"),
            Map.entry("umoci", "umoci"));

    private Tools() {
    }

    public static boolean onPath(String tool) {
        if (tool.contains("/")) {
            return Files.isExecutable(Path.of(tool));
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** @throws UserError naming the package to install when {@code tool} is not on the PATH */
    public static void require(String tool) {
        if (!onPath(tool)) {
            String pkg = PACKAGES.get(tool);
            throw new UserError(tool + " is not installed" + (pkg == null ? "" : " (apt-get install " + pkg + ")"));
        }
    }

    /** True when this process runs as root, which namespaces, chroot, mounts and device nodes need. */
    public static boolean runningAsRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0");
                }
            }
        } catch (Exception e) {
            return false;
        }
        return false;
    }

    public static void requireRoot(String what) {
        if (!runningAsRoot()) {
            throw new UserError(what + " needs root (it uses namespaces, chroot and mounts); run it with sudo");
        }
    }
}
