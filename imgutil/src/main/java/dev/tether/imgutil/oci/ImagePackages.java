package dev.tether.imgutil.oci;

import dev.tether.imgutil.UserError;
import dev.tether.imgutil.build.BasePackages;
import dev.tether.imgutil.build.BuildRequest;
import dev.tether.imgutil.build.DistroFamily;
import dev.tether.imgutil.build.NoServiceStarts;
import dev.tether.imgutil.exec.NamespaceExec;
import dev.tether.imgutil.pack.ImageInfo;
import dev.tether.imgutil.util.ProcessRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Completes an unpacked container image so that it boots a node: container images usually ship without
 * a kernel or an initramfs tool. The image's own package manager (apt-get or dnf, chosen by its
 * os-release) installs what every Tether image gets ({@link BasePackages}) and the user's packages, run
 * inside the tree as a build step runs. An image that has neither what it needs nor a way to install it
 * is refused with what is missing.
 */
public final class ImagePackages {
    private static final Map<String, String> APT_ENVIRONMENT = Map.of("DEBIAN_FRONTEND", "noninteractive");

    /** The package managers imgutil can drive inside an image. */
    enum Manager {
        APT("apt-get", "usr/bin/apt-get"),
        DNF("dnf", "usr/bin/dnf");

        final String command;
        final String path;

        Manager(String command, String path) {
            this.command = command;
            this.path = path;
        }
    }

    private final ProcessRunner runner;

    public ImagePackages(ProcessRunner runner) {
        this.runner = runner;
    }

    public void complete(Path root, BuildRequest request) {
        Map<String, String> osRelease = ImageInfo.osRelease(root);
        boolean bootable = hasKernel(root) && hasInitramfsTool(root);
        if (bootable && request.packages().isEmpty()) {
            runner.console().info("the image has a kernel and an initramfs tool; nothing to install");
            return;
        }
        Manager manager = manager(root, osRelease, missing(root));
        Set<String> packages = new LinkedHashSet<>();
        if (!bootable) {
            packages.addAll(manager == Manager.APT
                    ? BasePackages.forDebianFamily(isUbuntu(osRelease) ? DistroFamily.UBUNTU : DistroFamily.DEBIAN,
                            osRelease.getOrDefault("VERSION_CODENAME", ""), request.architecture())
                    : BasePackages.forRhelFamily());
            runner.console().info("the image lacks " + missing(root) + "; installing them with its " + manager.command);
        }
        packages.addAll(request.packages());
        NoServiceStarts.during(root, () -> {
            if (manager == Manager.APT) {
                inTree(root, "apt-get update", List.of("apt-get", "-q", "update"));
                List<String> install = new ArrayList<>(List.of("apt-get", "-y", "-q", "-o",
                        "Dpkg::Options::=--force-confold", "-o", "Dpkg::Options::=--force-confdef", "install",
                        "--no-install-recommends"));
                install.addAll(packages);
                inTree(root, "apt-get install", install);
                inTree(root, "apt-get clean", List.of("apt-get", "clean"));
            } else {
                List<String> install = new ArrayList<>(List.of("dnf", "-y", "--setopt=install_weak_deps=False",
                        "--setopt=tsflags=nodocs", "install"));
                install.addAll(packages);
                inTree(root, "dnf install", install);
                inTree(root, "dnf clean", List.of("dnf", "clean", "all"));
            }
        });
        if (!hasKernel(root) || !hasInitramfsTool(root)) {
            throw new UserError("after installing " + String.join(" ", packages) + " the image still lacks "
                    + missing(root) + "; install them with a build step or in the image itself");
        }
    }

    /** The package manager the image's os-release promises, if the image really has it. */
    static Manager manager(Path root, Map<String, String> osRelease, String missing) {
        Set<String> family = new LinkedHashSet<>();
        family.add(osRelease.getOrDefault("ID", ""));
        family.addAll(Arrays.asList(osRelease.getOrDefault("ID_LIKE", "").split("\\s+")));
        Manager expected = family.contains("debian") || family.contains("ubuntu") ? Manager.APT
                : family.contains("rhel") || family.contains("fedora") || family.contains("centos") ? Manager.DNF
                : null;
        String id = osRelease.isEmpty() ? "the image has no /etc/os-release"
                : "its os-release says ID=" + osRelease.getOrDefault("ID", "?")
                        + (osRelease.containsKey("ID_LIKE") ? " ID_LIKE=" + osRelease.get("ID_LIKE") : "");
        if (expected == null) {
            throw new UserError("the image lacks " + missing + " and imgutil cannot install them (" + id
                    + "; imgutil installs packages with apt-get on Debian and Ubuntu and with dnf on the RHEL family):"
                    + " put a kernel and initramfs-tools or dracut into the image, or start from such a distribution");
        }
        if (!Files.isRegularFile(root.resolve(expected.path)) && !Files.isSymbolicLink(root.resolve(expected.path))) {
            throw new UserError("the image lacks " + missing + ", and " + expected.command + " is not in it to install"
                    + " them (" + id + "): put a kernel and initramfs-tools or dracut into the image");
        }
        return expected;
    }

    private static boolean isUbuntu(Map<String, String> osRelease) {
        return "ubuntu".equals(osRelease.get("ID"));
    }

    /** What stops the tree from booting, in words, or an empty string. */
    static String missing(Path root) {
        List<String> missing = new ArrayList<>();
        if (!hasKernel(root)) {
            missing.add("a kernel (/boot/vmlinuz-VERSION with /lib/modules/VERSION)");
        }
        if (!hasInitramfsTool(root)) {
            missing.add("an initramfs tool (initramfs-tools or dracut)");
        }
        return String.join(" and ", missing);
    }

    /** The same test as the pack's kernel lookup: a vmlinuz with its modules. */
    static boolean hasKernel(Path root) {
        for (String modules : List.of("usr/lib/modules", "lib/modules")) {
            Path dir = root.resolve(modules);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> versions = Files.list(dir)) {
                if (versions.anyMatch(version -> Files.isRegularFile(root.resolve("boot/vmlinuz-" + version.getFileName())))) {
                    return true;
                }
            } catch (IOException e) {
                throw new UserError("cannot list " + dir + ": " + e.getMessage(), e);
            }
        }
        return false;
    }

    static boolean hasInitramfsTool(Path root) {
        return Stream.of("usr/sbin/update-initramfs", "sbin/update-initramfs", "usr/bin/dracut", "usr/sbin/dracut")
                .anyMatch(tool -> Files.isExecutable(root.resolve(tool)));
    }

    private void inTree(Path root, String what, List<String> command) {
        runner.run(what, NamespaceExec.processBuilder(
                NamespaceExec.Request.of(root, command).withEnvironment(APT_ENVIRONMENT)));
    }
}
