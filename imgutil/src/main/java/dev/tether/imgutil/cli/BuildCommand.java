package dev.tether.imgutil.cli;

import dev.tether.imgutil.Imgutil;
import dev.tether.imgutil.UserError;
import dev.tether.imgutil.build.BuildRequest;
import dev.tether.imgutil.build.DistroFamily;
import dev.tether.imgutil.build.DnfBuilder;
import dev.tether.imgutil.build.ImageTreeBuilder;
import dev.tether.imgutil.build.PackageSigning;
import dev.tether.imgutil.build.TreeOrigin;
import dev.tether.imgutil.oci.OciPull;
import dev.tether.imgutil.oci.OciSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "build", sortOptions = false, usageHelpAutoWidth = true, mixinStandardHelpOptions = true,
        description = {
            "Build a root tree from distribution packages or an OCI image.",
            "",
            "Builds a root tree from distribution packages: debootstrap for Debian and Ubuntu, dnf --installroot "
                    + "for the RHEL family. A kernel, the image's initramfs tool and what the boot agent needs "
                    + "(util-linux, xfsprogs, the TPM2 libraries, kmod) are always installed, then Tether's "
                    + "initramfs integration (initramfs-tools hook and script, dracut module).",
            "With --distro oci the tree is an OCI image (--from): copied with skopeo, its layers applied with umoci; "
                    + "an image without a kernel or initramfs tool gets them (and --packages) from its own apt-get "
                    + "or dnf. The image's manifest digest is printed on stdout.",
            "The tree is made beside DIR under a hidden .DIR.partial name and appears as DIR only when complete. "
                    + "Needs root."})
public final class BuildCommand implements Callable<Integer> {
    @ParentCommand
    Imgutil parent;

    @Parameters(index = "0", paramLabel = "DIR", description = "Where the tree goes: a new or empty directory.")
    Path dir;

    @Option(names = "--distro", required = true, paramLabel = "NAME",
            description = "DistroFamily family: debian, ubuntu, rhel-family, or oci for an OCI image.")
    String distro;

    @Option(names = "--release", paramLabel = "R",
            description = "Release: a codename such as bookworm or noble, or a version such as 9 for rhel-family. "
                    + "Required except with --distro oci.")
    String release;

    @Option(names = "--from", paramLabel = "IMAGE",
            description = "With --distro oci: an image in a registry (registry.example.org/repo/name:tag or "
                    + "@sha256:..., optionally docker://), oci:DIR[:TAG] (an OCI image layout), "
                    + "oci-archive:FILE[:TAG] or docker-archive:FILE.")
    String from;

    @Option(names = "--pull-secret", paramLabel = "FILE|DIR",
            description = "Registry credentials: a docker config JSON, or a directory where a Kubernetes pull Secret "
                    + "is mounted (.dockerconfigjson or .dockercfg).")
    Path pullSecret;

    @Option(names = "--insecure-registry",
            description = "Reach the registry over plain HTTP or without checking its certificate.")
    boolean insecureRegistry;

    @Option(names = "--arch", paramLabel = "ARCH", defaultValue = "amd64",
            description = "Architecture, in Debian's names (amd64, arm64). Default: ${DEFAULT-VALUE}.")
    String architecture;

    @Option(names = "--packages", paramLabel = "FILE|LIST",
            description = "The image's packages: a file with one or more names per line (# starts a comment), "
                    + "or a comma-separated list.")
    String packages;

    @Option(names = "--add-packages", paramLabel = "LIST", split = ",",
            description = "More packages, comma-separated; may be repeated.")
    List<String> addPackages = new ArrayList<>();

    @Option(names = "--repo", paramLabel = "URL",
            description = "An extra repository: a sources.list line or a URL (Debian, Ubuntu) or a baseurl "
                    + "(rhel-family); may be repeated.")
    List<String> repositories = new ArrayList<>();

    @Option(names = "--gpg-key", paramLabel = "URL",
            description = "rhel-family: a public key (file://, http://, https://) that signs the --repo packages; "
                    + "may be repeated. Every package must be signed by one of them.")
    List<String> gpgKeys = new ArrayList<>();

    @Option(names = "--no-gpgcheck", description = "rhel-family: install unsigned packages from the --repo repositories.")
    boolean noGpgCheck;

    @Option(names = "--mirror", paramLabel = "URL",
            description = "Package mirror for debootstrap. Default: deb.debian.org for Debian, archive.ubuntu.com "
                    + "(ports.ubuntu.com off x86) for Ubuntu.")
    String mirror;

    @Option(names = "--agent-bundle", paramLabel = "DIR",
            description = "The boot agent bundle (bin/tether-agent and its Java runtime) to install at "
                    + "/usr/lib/tether/agent. Without it the initramfs has no agent, and build says so.")
    Path agentBundle;

    @Override
    public Integer call() {
        DistroFamily distribution = DistroFamily.parse(distro);
        List<String> all = new ArrayList<>(packages == null ? List.of() : readPackages(packages));
        all.addAll(addPackages.stream().map(String::strip).filter(name -> !name.isEmpty()).toList());
        OciPull oci = ociPull(distribution, from, pullSecret, insecureRegistry, release, repositories, mirror);
        if ((!gpgKeys.isEmpty() || noGpgCheck) && distribution != DistroFamily.RHEL_FAMILY) {
            throw new UserError("--gpg-key and --no-gpgcheck are for --distro rhel-family only");
        }
        PackageSigning signing = new PackageSigning(gpgKeys.stream().map(DnfBuilder::checkGpgKey).toList(), !noGpgCheck);
        TreeOrigin origin = new ImageTreeBuilder(parent.console(), parent.runner()).build(new BuildRequest(distribution,
                release, architecture, all, repositories, mirror, agentBundle, oci, signing), dir);
        if (origin.sourceDigest() != null) {
            parent.out().println(origin.sourceDigest());
        }
        return 0;
    }

    /** The OCI image to pull for --distro oci, with the options that belong only to it checked both ways. */
    static OciPull ociPull(DistroFamily distribution, String from, Path pullSecret, boolean insecure, String release,
            List<String> repositories, String mirror) {
        if (distribution != DistroFamily.OCI) {
            if (from != null || pullSecret != null || insecure) {
                throw new UserError("--from, --pull-secret and --insecure-registry are for --distro oci only");
            }
            if (release == null) {
                throw new UserError("--distro " + distribution + " needs --release");
            }
            return null;
        }
        if (from == null) {
            throw new UserError("--distro oci needs --from IMAGE: " + OciSource.FORMS);
        }
        if (!repositories.isEmpty() || mirror != null) {
            throw new UserError("--repo and --mirror do not apply to --distro oci: the image's own package sources"
                    + " are used; add sources with a build step");
        }
        return new OciPull(OciSource.parse(from), pullSecret, !insecure);
    }

    static List<String> readPackages(String fileOrList) {
        Path file = Path.of(fileOrList);
        String text;
        if (Files.isRegularFile(file)) {
            try {
                text = String.join("\n", Files.readAllLines(file).stream().map(line -> line.replaceAll("#.*", ""))
                        .toList());
            } catch (IOException e) {
                throw new UserError("cannot read package list " + file + ": " + e.getMessage());
            }
        } else if (fileOrList.contains("/")) {
            throw new UserError("package list file " + file + " does not exist");
        } else {
            text = fileOrList;
        }
        return Arrays.stream(text.split("[,\\s]+")).filter(name -> !name.isEmpty()).toList();
    }
}
