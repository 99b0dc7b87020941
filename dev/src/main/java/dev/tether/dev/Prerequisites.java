package dev.tether.dev;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@code ./tether-dev up} needs on this machine, and the Debian packages that provide it: checked all at
 * once, so that a fresh machine hears one {@code apt-get install} line instead of failing tool by tool.
 */
public final class Prerequisites {
    /** A command on the PATH (or a file) and the package that installs it. */
    public record Need(String what, String debianPackage, boolean isFile) {
        boolean present() {
            return isFile ? Files.isReadable(Path.of(what)) : ImageCache.onPath(what);
        }
    }

    public static final List<Need> LOCAL_BOOT = List.of(
            new Need("qemu-system-x86_64", "qemu-system-x86", false),
            new Need(VirtualMachine.IPXE_ROM.toString(), "ipxe-qemu", true),
            new Need("swtpm", "swtpm", false),
            new Need("swtpm_setup", "swtpm-tools", false),
            new Need("ssh", "openssh-client", false),
            new Need("ssh-keygen", "openssh-client", false),
            new Need("debootstrap", "debootstrap", false),
            new Need("mksquashfs", "squashfs-tools", false),
            new Need("cpio", "cpio", false),
            new Need("unshare", "util-linux", false),
            new Need("ip", "iproute2", false));

    private Prerequisites() {
    }

    /** The packages providing what is missing, each once, in the order above. */
    public static Set<String> missingPackages(List<Need> needs) {
        Set<String> packages = new LinkedHashSet<>();
        for (Need need : needs) {
            if (!need.present()) {
                packages.add(need.debianPackage());
            }
        }
        return packages;
    }

    /** The one command that installs {@code packages}. */
    static List<String> installCommand(Set<String> packages) {
        List<String> command = new ArrayList<>(List.of("apt-get", "install", "-y", "--no-install-recommends"));
        command.addAll(packages);
        return command;
    }

    /** The whole line to give a person: a fresh machine's package lists may be empty, so update them first. */
    public static String instructions(Set<String> packages) {
        return "apt-get update && " + String.join(" ", installCommand(packages));
    }

    /** Runs apt-get update and install (output to this console); a failure is the user's to read there. */
    static void install(Set<String> packages) throws IOException, InterruptedException {
        for (List<String> command : List.of(List.of("apt-get", "update", "-q"), installCommand(packages))) {
            int status = new ProcessBuilder(command).inheritIO().start().waitFor();
            if (status != 0) {
                throw new MissingPrerequisite(String.join(" ", command) + " failed (exit " + status + "); run it by hand: "
                        + instructions(packages));
            }
        }
    }
}
