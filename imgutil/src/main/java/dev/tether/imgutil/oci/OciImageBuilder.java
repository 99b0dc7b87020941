package dev.tether.imgutil.oci;

import dev.tether.image.format.ContentDigest;
import dev.tether.imgutil.UserError;
import dev.tether.imgutil.build.BuildRequest;
import dev.tether.imgutil.build.TreeBuilder;
import dev.tether.imgutil.build.TreeOrigin;
import dev.tether.imgutil.util.ProcessRunner;
import dev.tether.imgutil.util.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A tree from an OCI image: skopeo copies it (from a registry, a layout or an archive) into a private
 * OCI layout, umoci applies its layers in order (whiteouts, opaque directories, hard links, ownership,
 * xattrs and device nodes as the image spec defines them), and what the image lacks to boot is installed
 * with its own package manager ({@link ImagePackages}).
 *
 * <p>The digest recorded is that of the source's own manifest (or index) bytes, as the registry serves
 * them, which is what {@code skopeo inspect} and registries show; the copy is then made by that digest,
 * so a tag moved in between cannot swap the image.
 */
public final class OciImageBuilder implements TreeBuilder {
    /** The one tag inside the private layout. */
    private static final String LAYOUT_TAG = "tether";
    private static final Path POLICY = Path.of("/etc/containers/policy.json");

    private final ProcessRunner runner;

    public OciImageBuilder(ProcessRunner runner) {
        this.runner = runner;
    }

    @Override
    public TreeOrigin build(BuildRequest request, Path root) {
        OciSource source = request.oci() == null ? null : request.oci().source();
        if (source == null) {
            throw new UserError("distribution oci needs an image: --from REF (or source.image in the spec)");
        }
        Tools.require("skopeo");
        Tools.require("umoci");
        Path layout = root.resolveSibling(root.getFileName() + ".oci-layout");
        removeLayout(layout);
        String digest;
        try (PullSecret.AuthFile auth = request.oci().pullSecret() == null ? null
                : PullSecret.open(request.oci().pullSecret(), root.getParent())) {
            digest = manifestDigest(request.oci(), auth);
            runner.console().info("copying " + source + " (" + digest + ") for " + request.architecture());
            List<String> copy = new ArrayList<>(List.of("skopeo"));
            policy(copy);
            copy.add("copy");
            copy.addAll(sourceOptions(request.oci(), auth, "--src-"));
            copy.addAll(List.of("--override-os", "linux", "--override-arch", ociArchitecture(request.architecture()),
                    source.skopeoReferencePinnedTo(digest), "oci:" + layout + ":" + LAYOUT_TAG));
            runner.run("skopeo copy of " + source, copy);
        }
        try {
            runner.console().info("applying the layers of " + source + " with umoci");
            runner.run("umoci raw unpack", List.of("umoci", "raw", "unpack", "--image", layout + ":" + LAYOUT_TAG,
                    root.toString()));
        } finally {
            removeLayout(layout);
        }
        new ImagePackages(runner).complete(root, request);
        return new TreeOrigin(source.toString(), digest);
    }

    /** The sha256 of the source manifest's own bytes; for a registry, checked against a digest the reference names. */
    private String manifestDigest(OciPull pull, PullSecret.AuthFile auth) {
        List<String> inspect = new ArrayList<>(List.of("skopeo", "inspect", "--raw"));
        inspect.addAll(sourceOptions(pull, auth, "--"));
        inspect.add(pull.source().skopeoReference());
        byte[] manifest;
        try {
            manifest = runner.captureBytes("reading the manifest of " + pull.source(), inspect);
        } catch (UserError e) {
            throw new UserError(e.getMessage() + hint(e.getMessage(), pull), e);
        }
        if (manifest.length == 0) {
            throw new UserError("skopeo returned an empty manifest for " + pull.source());
        }
        String digest = ContentDigest.of(manifest);
        String named = pull.source().namedDigest();
        if (named != null && !named.equals(digest)) {
            throw new UserError("the registry served a manifest with digest " + digest + " for " + pull.source()
                    + "; refusing an image that is not the one named");
        }
        return digest;
    }

    /** Debian's architecture names, which the CLI and the spec take, as OCI platforms spell them. */
    static String ociArchitecture(String architecture) {
        return switch (architecture) {
            case "ppc64el" -> "ppc64le";
            case "i386" -> "386";
            case "armhf", "armel" -> "arm";
            default -> architecture;
        };
    }

    /** What to do about the failures a user meets first. */
    static String hint(String message, OciPull pull) {
        String lower = message.toLowerCase(Locale.ROOT);
        if (lower.contains("unauthorized") || lower.contains("authentication required") || lower.contains("denied")) {
            return pull.pullSecret() == null
                    ? "; the registry wants credentials: name a pull Secret (spec.source.pullSecret) or give --pull-secret"
                    : "; check that the pull secret holds credentials for this registry that may read the image";
        }
        if (lower.contains("http response to https client")) {
            return "; the registry speaks plain HTTP: set spec.source.insecure: true or give --insecure-registry";
        }
        if (lower.contains("manifest unknown") || lower.contains("not found") || lower.contains("no such file")) {
            return "; check the name and tag of the image";
        }
        return "";
    }

    private static List<String> sourceOptions(OciPull pull, PullSecret.AuthFile auth, String prefix) {
        List<String> options = new ArrayList<>();
        if (pull.source().kind() == OciSource.Kind.REGISTRY) {
            if (!pull.tlsVerify()) {
                options.add(prefix + "tls-verify=false");
            }
            if (auth != null) {
                options.add(prefix + "authfile=" + auth.path());
            }
        }
        return options;
    }

    /**
     * The host's signature policy applies when it has one. A host without any (a bare builder container)
     * has nothing to enforce, and skopeo would refuse every copy, so it is told so explicitly.
     */
    private void policy(List<String> command) {
        if (!Files.isRegularFile(POLICY)) {
            runner.console().warn(POLICY + " is missing: copying without a signature policy");
            command.add("--insecure-policy");
        }
    }

    private void removeLayout(Path layout) {
        if (Files.exists(layout)) {
            runner.run("removing the OCI layout " + layout, List.of("rm", "-rf", "--one-file-system", layout.toString()));
        }
    }
}
