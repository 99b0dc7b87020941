package dev.tether.imgutil.build;

import dev.tether.imgutil.UserError;
import dev.tether.imgutil.util.ProcessRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * RHEL-family trees (Rocky, Alma, CentOS Stream, Fedora) with the host's {@code dnf --installroot}: the
 * same shape as {@link DebootstrapBuilder}, base packages plus the user's. Repositories come from
 * {@code --repo} (each a baseurl), or from the host's own dnf configuration when it has one.
 *
 * <p>Packages of the {@code --repo} repositories must be signed by one of the given GPG keys unless the
 * user turned that off, and a repository that cannot be read fails the build rather than being skipped
 * (Debian's dnf.conf sets {@code skip_if_unavailable}).
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
        PackageSigning signing = request.signing();
        if (!request.repositories().isEmpty() && signing.check() && signing.gpgKeys().isEmpty()) {
            throw new UserError("rhel-family builds with extra repositories need their signing key: --gpg-key URL"
                    + " (file://, http:// or https://) or gpgKey on the spec's repository; or --no-gpgcheck to accept"
                    + " unsigned packages");
        }
        if (!signing.check()) {
            runner.console().warn("GPG checks are off: packages of the --repo repositories are installed unverified");
        }
        List<String> command = new ArrayList<>(List.of("dnf", "-y", "--installroot=" + root,
                "--releasever=" + request.release(), "--forcearch=" + dnfArchitecture(request.architecture()),
                "--setopt=install_weak_deps=False", "--setopt=tsflags=nodocs"));
        for (int i = 0; i < request.repositories().size(); i++) {
            String id = "tether" + i;
            command.add("--repofrompath=" + id + "," + request.repositories().get(i));
            command.add("--setopt=" + id + ".skip_if_unavailable=False");
            command.add("--setopt=" + id + ".gpgcheck=" + (signing.check() ? "1" : "0"));
            if (!signing.gpgKeys().isEmpty()) {
                command.add("--setopt=" + id + ".gpgkey=" + String.join(" ", signing.gpgKeys()));
            }
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
        Path home = rpmHome(root, request.release());
        try {
            Map<String, String> environment = Map.of("HOME", home.toString());
            runner.run("dnf install", command, environment);
            runner.run("dnf clean", List.of("dnf", "--installroot=" + root, "clean", "all"), environment);
        } finally {
            runner.run("removing " + home, List.of("rm", "-rf", "--one-file-system", home.toString()));
        }
        return TreeOrigin.PACKAGES;
    }

    /**
     * The host's rpm decides where the tree's package database goes, and Debian's rpm keeps it in
     * {@code ~/.rpmdb}: the image's own rpm and dnf would then find nothing installed. A private HOME
     * whose {@code .rpmmacros} names the target release's database path fixes that for this run only,
     * without touching the host's rpm configuration.
     */
    private static Path rpmHome(Path root, String release) {
        try {
            Path home = Files.createTempDirectory(root.getParent(), ".dnf-home-");
            Files.writeString(home.resolve(".rpmmacros"), "%_dbpath " + rpmDatabasePath(release) + "\n");
            return home;
        } catch (IOException e) {
            throw new UserError("cannot prepare rpm's configuration beside " + root + ": " + e.getMessage(), e);
        }
    }

    /** RHEL 9 and older keep /var/lib/rpm; Fedora 36 and later, and EL 10, moved it to /usr/lib/sysimage/rpm. */
    static String rpmDatabasePath(String release) {
        String major = release.replaceFirst("^(\\d+).*$", "$1");
        return !major.isEmpty() && major.length() <= 4 && major.chars().allMatch(Character::isDigit)
                && Integer.parseInt(major) >= 10
                ? "/usr/lib/sysimage/rpm" : "/var/lib/rpm";
    }

    /** A key URL as dnf takes it: one URL of a scheme dnf reads, with nothing that would split it. */
    public static String checkGpgKey(String url) {
        if (url == null || !url.matches("(file|https?)://[!-~]+")) {
            throw new UserError("GPG key '" + url + "' is not a file://, http:// or https:// URL without spaces");
        }
        return url;
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
