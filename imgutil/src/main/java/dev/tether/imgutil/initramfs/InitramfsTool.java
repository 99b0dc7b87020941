package dev.tether.imgutil.initramfs;

import dev.tether.imgutil.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The image's own initramfs generator, and how to make it rebuild the initramfs of one kernel. */
public enum InitramfsTool {
    INITRAMFS_TOOLS("update-initramfs") {
        @Override
        public String initramfsPath(String kernelVersion) {
            return "boot/initrd.img-" + kernelVersion;
        }

        @Override
        public List<String> regenerate(Path root, String kernelVersion) {
            boolean exists = Files.exists(root.resolve(initramfsPath(kernelVersion)));
            return List.of("update-initramfs", exists ? "-u" : "-c", "-k", kernelVersion);
        }
    },
    DRACUT("dracut") {
        @Override
        public String initramfsPath(String kernelVersion) {
            return "boot/initramfs-" + kernelVersion + ".img";
        }

        @Override
        public List<String> regenerate(Path root, String kernelVersion) {
            return List.of("dracut", "--force", "--kver", kernelVersion, "/" + initramfsPath(kernelVersion));
        }
    };

    private final String command;

    InitramfsTool(String command) {
        this.command = command;
    }

    public String command() {
        return command;
    }

    /** Path of the kernel's initramfs, relative to the tree. */
    public abstract String initramfsPath(String kernelVersion);

    /** The command to run inside the tree. */
    public abstract List<String> regenerate(Path root, String kernelVersion);

    /** initramfs-tools wins when both are present, as on Debian systems that have dracut installed but unused. */
    public static InitramfsTool detect(Path root) {
        for (String dir : List.of("usr/sbin", "sbin", "usr/bin")) {
            if (Files.isExecutable(root.resolve(dir).resolve("update-initramfs"))) {
                return INITRAMFS_TOOLS;
            }
        }
        for (String dir : List.of("usr/bin", "usr/sbin", "bin", "sbin")) {
            if (Files.isExecutable(root.resolve(dir).resolve("dracut"))) {
                return DRACUT;
            }
        }
        throw new UserError(root + " has neither initramfs-tools nor dracut; install one in the image first");
    }
}
