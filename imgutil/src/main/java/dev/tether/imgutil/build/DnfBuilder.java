package dev.tether.imgutil.build;

import dev.tether.imgutil.UserError;
import dev.tether.imgutil.util.ProcessRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * RHEL-family trees (Rocky, Alma, CentOS Stream, Fedora) with the host's {@code dnf --installroot}: the
 * same shape as {@link DebootstrapBuilder}, base packages plus the user's. Repositories come from
 * {@code --repo} (each a baseurl), or from the host's own dnf configuration when it has one.
 */
public final class DnfBuilder implements TreeBuilder {
    private final ProcessRunner runner;

    public DnfBuilder(ProcessRunner runner) {
        this.runner = runner;
    }

    @Override
    public TreeOrigin build(BuildRequest request, Path root) {
        if (request.repositories().isEmpty() && !Files.isDirectory(Path.of("/etc/yum.repos.d"))) {
            throw new UserError("rhel-family builds need --repo URL (a baseurl) on a host without /etc/yum.repos.d");
        }
        List<String> command = new ArrayList<>(List.of("dnf", "-y", "--installroot=" + root,
                "--releasever=" + request.release(), "--forcearch=" + dnfArchitecture(request.architecture()),
                "--setopt=install_weak_deps=False", "--setopt=tsflags=nodocs"));
        for (int i = 0; i < request.repositories().size(); i++) {
            command.add("--repofrompath=tether" + i + "," + request.repositories().get(i));
        }
        if (!request.repositories().isEmpty()) {
            command.add("--disablerepo=*");
            command.add("--enablerepo=tether*");
        }
        Set<String> packages = new LinkedHashSet<>(BasePackages.forRhelFamily());
        packages.addAll(request.packages());
        command.add("install");
        command.addAll(packages);
        runner.console().info("dnf --installroot " + root + ": " + packages.size() + " packages, release "
                + request.release());
        runner.run("dnf install", command);
        runner.run("dnf clean", List.of("dnf", "--installroot=" + root, "clean", "all"));
        return TreeOrigin.PACKAGES;
    }

    /** Debian's architecture names, which the CLI takes, as dnf spells them. */
    static String dnfArchitecture(String architecture) {
        return switch (architecture) {
            case "amd64" -> "x86_64";
            case "arm64" -> "aarch64";
            case "ppc64el" -> "ppc64le";
            default -> architecture;
        };
    }
}
