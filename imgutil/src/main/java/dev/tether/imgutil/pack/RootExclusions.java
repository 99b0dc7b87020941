package dev.tether.imgutil.pack;

import java.util.List;

/**
 * What a root image leaves out of the tree, as mksquashfs wildcards relative to the root. Mount points
 * stay (empty); their content is the build host's or the build's, not the node's. Identity that must be
 * unique per node (machine-id, SSH host keys, random seed) is removed so every node makes its own, and
 * the kernel and initramfs are served on their own rather than twice.
 */
public final class RootExclusions {
    /** The machine-id is kept as an empty file: systemd then generates one at first boot. */
    public static final String MACHINE_ID = "etc/machine-id";

    public static final List<String> PATTERNS = List.of(
            "proc/*", "sys/*", "dev/*", "dev/.*", "run/*", "run/.*", "tmp/*", "tmp/.*", "var/tmp/*", "var/tmp/.*",
            "var/cache/apt/*.bin", "var/cache/apt/archives/*.deb", "var/cache/apt/archives/partial/*",
            "var/lib/apt/lists/*_*", "var/cache/dnf/*", "var/cache/yum/*", "var/cache/debconf/*-old",
            "var/log/*.log", "var/log/apt/*", "var/log/journal/*", "var/log/dnf*",
            "etc/ssh/ssh_host_*", MACHINE_ID, "var/lib/dbus/machine-id", "var/lib/systemd/random-seed",
            "root/.bash_history", "usr/sbin/policy-rc.d",
            "boot/initrd.img-*", "boot/initramfs-*.img");

    private RootExclusions() {
    }

    /** The empty machine-id that replaces the excluded one. */
    public static String machineIdPseudoFile() {
        return MACHINE_ID + " f 444 root root true";
    }
}
