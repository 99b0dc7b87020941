package dev.tether.imgutil.build;

import dev.tether.imgutil.UserError;
import dev.tether.imgutil.exec.NamespaceExec;
import dev.tether.imgutil.util.ProcessRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Debian and Ubuntu trees: a minimal {@code debootstrap}, then everything else with the image's own
 * {@code apt-get} run inside it through {@link NamespaceExec}, exactly as a user's build step would run.
 */
public final class DebootstrapBuilder implements TreeBuilder {
    static final String DEBIAN_MIRROR = "http://deb.debian.org/debian";
    static final String DEBIAN_SECURITY = "http://deb.debian.org/debian-security";
    static final String UBUNTU_MIRROR = "http://archive.ubuntu.com/ubuntu";
    static final String UBUNTU_PORTS_MIRROR = "http://ports.ubuntu.com/ubuntu-ports";

    /** Non-interactive apt that keeps the image's own configuration files on upgrades. */
    private static final Map<String, String> APT_ENVIRONMENT = Map.of("DEBIAN_FRONTEND", "noninteractive");
    private static final List<String> APT_GET = List.of("apt-get", "-y", "-q", "-o", "Dpkg::Options::=--force-confold",
            "-o", "Dpkg::Options::=--force-confdef");

    private final ProcessRunner runner;

    public DebootstrapBuilder(ProcessRunner runner) {
        this.runner = runner;
    }

    @Override
    public TreeOrigin build(BuildRequest request, Path root) {
        String mirror = mirror(request);
        runner.console().info("debootstrap " + request.distribution() + " " + request.release() + " ("
                + request.architecture() + ") from " + mirror);
        runner.run("debootstrap", List.of("debootstrap", "--variant=minbase", "--arch=" + request.architecture(),
                "--components=" + String.join(",", components(request.distribution())), request.release(),
                root.toString(), mirror));
        writeSources(request, root, mirror);
        NoServiceStarts.during(root, () -> {
            inTree(root, "apt-get update", List.of("apt-get", "-q", "update"));
            List<String> install = new ArrayList<>(APT_GET);
            install.addAll(List.of("install", "--no-install-recommends"));
            install.addAll(packagesOf(request));
            runner.console().info("installing " + packagesOf(request).size() + " packages and their dependencies");
            inTree(root, "apt-get install", install);
            inTree(root, "apt-get clean", List.of("apt-get", "clean"));
        });
        return TreeOrigin.PACKAGES;
    }

    /** The base packages first, then the user's, without duplicates. */
    public static List<String> packagesOf(BuildRequest request) {
        Set<String> all = new LinkedHashSet<>(BasePackages.forDebianFamily(request.distribution(), request.release(),
                request.architecture()));
        all.addAll(request.packages());
        return List.copyOf(all);
    }

    private void inTree(Path root, String what, List<String> command) {
        runner.run(what, NamespaceExec.processBuilder(
                NamespaceExec.Request.of(root, command).withEnvironment(APT_ENVIRONMENT)));
    }

    static String mirror(BuildRequest request) {
        if (request.mirror() != null) {
            return request.mirror();
        }
        if (request.distribution() == DistroFamily.UBUNTU) {
            return request.architecture().equals("amd64") || request.architecture().equals("i386")
                    ? UBUNTU_MIRROR : UBUNTU_PORTS_MIRROR;
        }
        return DEBIAN_MIRROR;
    }

    private static List<String> components(DistroFamily distribution) {
        return distribution == DistroFamily.UBUNTU ? List.of("main", "universe") : List.of("main");
    }

    /** sources.list with updates and security when the default mirror is used, plus the extra repositories. */
    private void writeSources(BuildRequest request, Path root, String mirror) {
        String release = request.release();
        String comps = String.join(" ", components(request.distribution()));
        StringBuilder sources = new StringBuilder("deb " + mirror + " " + release + " " + comps + "\n");
        if (request.mirror() == null && !Set.of("sid", "unstable").contains(release)) {
            sources.append("deb ").append(mirror).append(' ').append(release).append("-updates ").append(comps).append('\n');
            String security = request.distribution() == DistroFamily.UBUNTU ? mirror : DEBIAN_SECURITY;
            sources.append("deb ").append(security).append(' ').append(release).append("-security ").append(comps)
                    .append('\n');
        }
        write(root.resolve("etc/apt/sources.list"), sources.toString(), "rw-r--r--");
        if (!request.repositories().isEmpty()) {
            StringBuilder extra = new StringBuilder("# Added by imgutil build --repo\n");
            for (String repository : request.repositories()) {
                extra.append(repository.startsWith("deb") ? repository : "deb " + repository + " " + release + " main")
                        .append('\n');
            }
            write(root.resolve("etc/apt/sources.list.d/tether-extra.list"), extra.toString(), "rw-r--r--");
        }
    }

    private static void write(Path file, String content, String permissions) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        } catch (IOException e) {
            throw new UserError("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
