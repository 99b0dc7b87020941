package dev.tether.imgutil.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.imgutil.cli.CliRun;
import dev.tether.imgutil.util.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The RHEL-family path with real tools and no mirror: small RPMs made with rpmbuild (one for every base
 * package, a kernel and a dracut among them, and one the user asks for), a repository made with
 * createrepo_c, signed with rpmsign by a key made here, and installed with the host's dnf --installroot.
 * What this does not show: that real Rocky/Alma/Fedora packages install (their scriptlets, a real dracut
 * run), which needs their mirrors; see the README.
 */
class DnfBuildTest {
    static final String KERNEL = "6.1.0-tether.x86_64";
    static final String RELEASE = "9";

    @TempDir
    static Path work;

    static Path signedRepo;
    static Path unsignedRepo;
    static Path key;

    @BeforeAll
    static void makeRepositories() throws Exception {
        assumeTrue(Tools.runningAsRoot(), "SKIPPED: needs root (imgutil build)");
        for (String tool : List.of("dnf", "rpmbuild", "rpmsign", "createrepo_c", "gpg")) {
            assumeTrue(Tools.onPath(tool), "SKIPPED: needs " + tool + " (apt-get install dnf rpm createrepo-c gnupg;"
                    + " see .ci/apt-packages.txt)");
        }
        Path top = work.resolve("rpmbuild");
        Files.createDirectories(top.resolve("SPECS"));
        List<String> names = new ArrayList<>(BasePackages.forRhelFamily());
        names.add("tether-hello");
        for (String name : names) {
            Path spec = Files.writeString(top.resolve("SPECS/" + name + ".spec"), spec(name));
            run(Map.of(), "rpmbuild", "-bb", "--quiet", "--define", "_topdir " + top, spec.toString());
        }
        Map<String, String> gnupg = Map.of("GNUPGHOME", Files.createDirectories(work.resolve("gnupg")).toString());
        Files.setPosixFilePermissions(work.resolve("gnupg"), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        run(gnupg, "gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Tether Test <test@tether.invalid>", "rsa2048",
                "sign", "never");
        key = work.resolve("key.asc");
        run(gnupg, "sh", "-c", "gpg --armor --export test@tether.invalid > \"$0\"", key.toString());

        signedRepo = Files.createDirectories(work.resolve("signed"));
        unsignedRepo = Files.createDirectories(work.resolve("unsigned"));
        List<String> sign = new ArrayList<>(List.of("rpmsign", "--addsign", "--define", "_gpg_name Tether Test",
                "--define", "__gpg " + Path.of("/usr/bin/gpg")));
        try (var rpms = Files.list(top.resolve("RPMS/noarch"))) {
            for (Path rpm : rpms.toList()) {
                Files.copy(rpm, unsignedRepo.resolve(rpm.getFileName()));
                sign.add(Files.copy(rpm, signedRepo.resolve(rpm.getFileName())).toString());
            }
        }
        run(gnupg, sign.toArray(String[]::new));
        run(Map.of(), "createrepo_c", "--quiet", signedRepo.toString());
        run(Map.of(), "createrepo_c", "--quiet", unsignedRepo.toString());
    }

    /** A noarch package with one file; the kernel has a vmlinuz and modules, dracut an executable. */
    static String spec(String name) {
        String install = switch (name) {
            case "kernel" -> "mkdir -p %{buildroot}/boot %{buildroot}/usr/lib/modules/" + KERNEL + "\n"
                    + "echo vmlinuz > %{buildroot}/boot/vmlinuz-" + KERNEL + "\n"
                    + "echo > %{buildroot}/usr/lib/modules/" + KERNEL + "/modules.dep\n";
            case "dracut" -> "mkdir -p %{buildroot}/usr/bin\nprintf '#!/bin/sh\\nexit 0\\n' > %{buildroot}/usr/bin/dracut\n"
                    + "chmod 755 %{buildroot}/usr/bin/dracut\n";
            default -> "mkdir -p %{buildroot}/usr/share/tether-test\necho " + name + " > %{buildroot}/usr/share/tether-test/"
                    + name + "\n";
        };
        String files = switch (name) {
            case "kernel" -> "/boot/vmlinuz-" + KERNEL + "\n/usr/lib/modules/" + KERNEL + "\n";
            case "dracut" -> "/usr/bin/dracut\n";
            default -> "/usr/share/tether-test/" + name + "\n";
        };
        return "Name: " + name + "\nVersion: 1.0\nRelease: 1\nSummary: Tether test package " + name
                + "\nLicense: MIT\nBuildArch: noarch\nAutoReqProv: no\n%description\nA stand-in for " + name + ".\n%install\n" + install
                + "%files\n" + files;
    }

    @Test
    void aSignedRepositoryBuildsATreeWhoseOwnRpmSeesWhatIsInstalled() throws Exception {
        Path tree = work.resolve("tree");
        CliRun run = CliRun.of("build", tree.toString(), "--distro", "rhel-family", "--release", RELEASE,
                "--repo", "file://" + signedRepo, "--gpg-key", "file://" + key, "--add-packages", "tether-hello");

        System.err.print(run.err());
        assertThat(run.status()).as(run.errorLine()).isZero();
        assertThat(tree.resolve("usr/share/tether-test/tether-hello")).hasContent("tether-hello");
        assertThat(tree.resolve("boot/vmlinuz-" + KERNEL)).exists();
        assertThat(tree.resolve("usr/lib/dracut/modules.d/90tether/module-setup.sh")).exists();
        assertThat(tree.resolve("var/lib/rpm")).as("where RHEL 9's rpm looks").isDirectory();
        assertThat(tree.resolve("root/.rpmdb")).as("not where Debian's rpm would put it").doesNotExist();
        String installed = capture("rpm", "--root", tree.toString(), "--dbpath", "/var/lib/rpm", "-qa");
        assertThat(installed).contains("kernel-1.0-1.noarch", "dracut-1.0-1.noarch", "tether-hello-1.0-1.noarch",
                "tpm2-tss-1.0-1.noarch").containsPattern("gpg-pubkey-");
        try (var left = Files.list(work)) {
            assertThat(left.map(path -> path.getFileName().toString())).noneMatch(name -> name.startsWith(".dnf-home-"));
        }
    }

    @Test
    void unsignedPackagesAreRefusedUnlessTheUserTurnsTheCheckOff() {
        Path refused = work.resolve("refused");
        CliRun run = CliRun.of("build", refused.toString(), "--distro", "rhel-family", "--release", RELEASE,
                "--repo", "file://" + unsignedRepo, "--gpg-key", "file://" + key);
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.errorLine()).contains("dnf install failed", "GPG check FAILED");
        assertThat(refused).doesNotExist();

        CliRun unverified = CliRun.of("build", work.resolve("unverified").toString(), "--distro", "rhel-family",
                "--release", RELEASE, "--repo", "file://" + unsignedRepo, "--no-gpgcheck");
        assertThat(unverified.status()).as(unverified.errorLine()).isZero();
        assertThat(unverified.err()).contains("GPG checks are off");
        assertThat(work.resolve("unverified/boot/vmlinuz-" + KERNEL)).exists();
    }

    @Test
    void aRepositoryWithoutAKeyOrAnUnreadableOneFailsTheBuild() {
        CliRun noKey = CliRun.of("build", work.resolve("no-key").toString(), "--distro", "rhel-family", "--release",
                RELEASE, "--repo", "file://" + signedRepo);
        assertThat(noKey.status()).isEqualTo(1);
        assertThat(noKey.errorLine()).contains("need their signing key: --gpg-key URL");

        CliRun missing = CliRun.of("build", work.resolve("missing").toString(), "--distro", "rhel-family", "--release",
                RELEASE, "--repo", "file://" + work.resolve("no-such-repo"), "--gpg-key", "file://" + key);
        assertThat(missing.status()).as("an unreadable repository is not skipped").isEqualTo(1);
        assertThat(missing.errorLine()).contains("dnf install failed");
    }

    @Test
    void theDatabaseGoesWhereTheReleasesRpmLooks() {
        assertThat(DnfBuilder.rpmDatabasePath("8")).isEqualTo("/var/lib/rpm");
        assertThat(DnfBuilder.rpmDatabasePath("9.4")).isEqualTo("/var/lib/rpm");
        assertThat(DnfBuilder.rpmDatabasePath("10")).isEqualTo("/usr/lib/sysimage/rpm");
        assertThat(DnfBuilder.rpmDatabasePath("40")).isEqualTo("/usr/lib/sysimage/rpm");
        assertThat(DnfBuilder.rpmDatabasePath("stream")).isEqualTo("/var/lib/rpm");
    }

    static void run(Map<String, String> environment, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO()
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(environment);
        assertThat(builder.start().waitFor()).as(String.join(" ", command)).isZero();
    }

    static String capture(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).as(String.join(" ", command)).isZero();
        return output;
    }
}
