package dev.tether.agent.image;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Checks for what a test needs from the machine, skipping it with the reason when something is missing. */
final class Tools {
    private Tools() {
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    static void assumeMksquashfs() {
        Assumptions.assumeTrue(onPath("mksquashfs"),
                "SKIPPED: mksquashfs is not installed (apt-get install squashfs-tools); the test image cannot be built");
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Root, /dev/fuse, unshare, mount and squashfs in the kernel: what a real tethered mount needs. */
    static void assumeRealMounts() throws Exception {
        assumeMksquashfs();
        Assumptions.assumeTrue(isRoot(), "SKIPPED: mounting FUSE and loop devices needs root; run the tests as root");
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/fuse")), "SKIPPED: /dev/fuse is missing (modprobe fuse)");
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/loop-control")),
                "SKIPPED: /dev/loop-control is missing (modprobe loop); the squashfs cannot be loop-mounted");
        Assumptions.assumeTrue(onPath("unshare") && onPath("mount"),
                "SKIPPED: unshare and mount (util-linux, mount) are needed for a private mount namespace");
        String filesystems = Files.readString(Path.of("/proc/filesystems"));
        Assumptions.assumeTrue(filesystems.contains("squashfs") && filesystems.contains("fuse"),
                "SKIPPED: the kernel lacks squashfs or fuse (see /proc/filesystems)");
    }
}
