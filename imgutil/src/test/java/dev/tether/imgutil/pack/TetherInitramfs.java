package dev.tether.imgutil.pack;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

/** What an initramfs made with the Tether integration must hold, as lsinitramfs lists it. */
final class TetherInitramfs {
    private TetherInitramfs() {
    }

    /** A system library the stand-in bundle's runtime is said to link (in its system-libraries). */
    static final String RUNTIME_LIBRARY = "libm.so.6";

    static void assertIntegrated(List<String> listing) {
        assertThat(listing).contains("scripts/tether", "usr/lib/tether/agent/bin/tether-agent",
                "usr/lib/tether/agent/agent.squashfs",
                // util-linux's, where klibc's (which cannot loop-mount) does not shadow it: the launcher's.
                "usr/lib/tether/bin/mount");
        // The agent mounts and makes its loop devices with system calls: no losetup, no util-linux umount.
        assertThat(listing).doesNotContain("usr/lib/tether/bin/umount", "usr/lib/tether/bin/losetup");
        for (String tool : List.of("/mkfs.xfs", "/fstrim", "/mount")) {
            assertThat(listing).as("holds %s", tool).anyMatch(path -> path.endsWith("bin" + tool));
        }
        // The agent serves FUSE itself: no libfuse.
        assertThat(listing).noneMatch(path -> path.endsWith("/libfuse3.so.3"));
        for (String library : List.of("libtss2-esys.so.0", "libtss2-tctildr.so.0",
                "libtss2-tcti-device.so.0", RUNTIME_LIBRARY)) {
            assertThat(listing).as("holds %s", library).anyMatch(path -> path.endsWith("/" + library));
        }
        for (String module : List.of("fuse", "loop", "squashfs", "overlay", "zram", "xfs")) {
            assertThat(listing).as("holds module %s", module)
                    .anyMatch(path -> path.matches(".*/" + module + "\\.ko(\\.[a-z]+)?$"));
        }
    }
}
