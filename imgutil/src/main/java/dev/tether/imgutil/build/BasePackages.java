package dev.tether.imgutil.build;

import java.util.List;
import java.util.Set;

/**
 * The packages every Tether image gets, whatever the user asks for: an init, a kernel, the image's own
 * initramfs tool, and what the boot agent runs in the initramfs (util-linux mount and losetup, xfsprogs,
 * the TPM2 libraries, kmod). No FUSE package: the agent serves {@code /dev/fuse} itself, and the kernel's fuse module
 * comes with the kernel; a fuse3 installed here would put its own initramfs hook's libfuse and mount helper into every
 * node's initramfs for nothing.
 */
public final class BasePackages {
    /** Releases after Debian's 64-bit time_t transition renamed the TPM2 libraries with a t64 suffix. */
    private static final Set<String> T64_RELEASES = Set.of("trixie", "forky", "sid", "unstable", "testing",
            "noble", "oracular", "plucky", "questing");

    private BasePackages() {
    }

    public static List<String> forDebianFamily(DistroFamily distribution, String release, String architecture) {
        String t64 = T64_RELEASES.contains(release) ? "t64" : "";
        String kernel = distribution == DistroFamily.UBUNTU ? "linux-image-generic" : "linux-image-" + architecture;
        return List.of(kernel, "initramfs-tools", "zstd", "systemd-sysv", "udev", "kmod", "util-linux", "mount",
                "xfsprogs", "libtss2-esys-3.0.2-0" + t64, "libtss2-tctildr0" + t64,
                "libtss2-tcti-device0" + t64,
                // The agent turns TSS2 return codes into messages with libtss2-rc, which nothing else pulls in.
                "libtss2-rc0" + t64);
    }

    public static List<String> forRhelFamily() {
        return List.of("kernel", "dracut", "dracut-network", "systemd", "kmod", "util-linux", "xfsprogs",
                "tpm2-tss");
    }
}
