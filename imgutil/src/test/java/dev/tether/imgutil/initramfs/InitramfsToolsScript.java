package dev.tether.imgutil.initramfs;

import java.nio.file.Path;

/** The initramfs-tools boot script as the tests run it: its source in this module, and the klibc a node's initramfs has. */
final class InitramfsToolsScript {
    /** The script imgutil installs as etc/initramfs-tools/scripts/tether (InitramfsIntegration). */
    static final Path SOURCE = Path.of("src/main/resources/dev/tether/imgutil/initramfs/initramfs-tools/script");
    /** klibc's programs (its sh, ipconfig), as Debian's klibc-utils installs them. */
    static final Path KLIBC = Path.of("/usr/lib/klibc/bin");

    private InitramfsToolsScript() {
    }
}
