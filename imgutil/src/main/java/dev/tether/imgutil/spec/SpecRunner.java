package dev.tether.imgutil.spec;

import dev.tether.image.format.ImageHeader;
import dev.tether.imgutil.UserError;
import dev.tether.imgutil.build.BuildRequest;
import dev.tether.imgutil.build.DistroFamily;
import dev.tether.imgutil.build.DnfBuilder;
import dev.tether.imgutil.build.ImageTreeBuilder;
import dev.tether.imgutil.build.NoServiceStarts;
import dev.tether.imgutil.build.PackageSigning;
import dev.tether.imgutil.build.TreeOrigin;
import dev.tether.imgutil.exec.NamespaceExec;
import dev.tether.imgutil.oci.OciPull;
import dev.tether.imgutil.oci.OciSource;
import dev.tether.imgutil.pack.BootOrder;
import dev.tether.imgutil.pack.BuilderResult;
import dev.tether.imgutil.pack.Compression;
import dev.tether.imgutil.pack.ImageInfo;
import dev.tether.imgutil.pack.PackRequest;
import dev.tether.imgutil.pack.PackResult;
import dev.tether.imgutil.pack.Packer;
import dev.tether.imgutil.publish.Publisher;
import dev.tether.imgutil.util.Console;
import dev.tether.imgutil.util.ProcessRunner;
import dev.tether.imgutil.util.Sizes;
import dev.tether.imgutil.util.TreePaths;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code imgutil run-spec}: what a builder Job runs. Build the tree, add the files, run the steps,
 * pack, publish when an origin is given, and leave the one-line result (or error) in the result file.
 */
public final class SpecRunner {
    /**
     * @param origin where to publish, or {@code null} to only pack
     * @param agentBundle the boot agent bundle for the initramfs, or {@code null}
     * @param pullSecret registry credentials for an OCI source (file or mounted Secret), or {@code null}
     * @param bootOrder a boot order file ({@link BootOrder}); {@code null} or a missing file packs without one
     */
    public record Options(Path specFile, Path work, Path out, Path keyFile, Path resultFile, URI origin,
            Path tokenFile, Path agentBundle, Path pullSecret, Path bootOrder) {

        public Options(Path specFile, Path work, Path out, Path keyFile, Path resultFile, URI origin,
                Path tokenFile, Path agentBundle, Path pullSecret) {
            this(specFile, work, out, keyFile, resultFile, origin, tokenFile, agentBundle, pullSecret, null);
        }
    }

    /** A packed image and where its tree came from. */
    private record Built(PackResult pack, TreeOrigin origin) {
    }

    private final Console console;
    private final ProcessRunner runner;

    public SpecRunner(Console console, ProcessRunner runner) {
        this.console = console;
        this.runner = runner;
    }

    public PackResult run(Options options) {
        long started = System.nanoTime();
        try {
            Built built = runSpec(options);
            long seconds = Math.round((System.nanoTime() - started) / 1e9);
            if (options.resultFile() != null) {
                BuilderResult.write(options.resultFile(), BuilderResult.success(built.pack(), seconds,
                        built.origin().sourceDigest()));
            }
            return built.pack();
        } catch (RuntimeException e) {
            if (options.resultFile() != null) {
                BuilderResult.write(options.resultFile(), BuilderResult.failure(e.getMessage()));
            }
            throw e;
        }
    }

    private Built runSpec(Options options) {
        ImageSpec spec = ImageSpec.read(options.specFile());
        DistroFamily distribution = DistroFamily.parse(spec.distribution());
        Compression compression = spec.compression() == null ? Compression.ZSTD : Compression.parse(spec.compression());
        Integer chunkSize = spec.chunkSize() == null ? null : Sizes.parseInt(spec.chunkSize(), "chunkSize");
        if (chunkSize != null) {
            ImageHeader.checkChunkSize(chunkSize);
        }
        if (spec.encrypted() && options.keyFile() == null) {
            throw new UserError("the spec asks for encryption; give --key-file FILE");
        }
        String token = options.origin() == null ? null : readTokenFile(options.tokenFile());
        String architecture = spec.architecture() == null ? "amd64" : spec.architecture();

        Path tree = options.work().resolve("rootfs");
        if (Files.exists(tree)) {
            console.info("removing the tree of an earlier attempt: " + tree);
            runner.run("removing the old tree", List.of("rm", "-rf", "--one-file-system", tree.toString()));
        }
        OciPull oci = distribution == DistroFamily.OCI
                ? new OciPull(OciSource.parse(spec.source().image()), options.pullSecret(), !spec.source().insecure())
                : null;
        if (oci == null && options.pullSecret() != null) {
            throw new UserError("--pull-secret is for images with distribution oci only");
        }
        PackageSigning signing = new PackageSigning(spec.gpgKeys().stream().map(DnfBuilder::checkGpgKey).toList(), true);
        BuildRequest request = new BuildRequest(distribution, spec.release(), architecture, spec.packages(),
                spec.repositoryLines(), spec.mirror(), options.agentBundle(), oci, signing);
        TreeOrigin origin = new ImageTreeBuilder(console, runner).build(request, tree);
        writeFiles(tree, spec.files());
        runSteps(tree, spec.steps());

        PackResult result = new Packer(console, runner).pack(new PackRequest(tree, options.out(), compression,
                spec.encrypted(), chunkSize, options.keyFile(), true, options.work().resolve("scratch"),
                // An OCI image says what it is in its os-release; the spec names only where it came from.
                oci != null ? ImageInfo.of(tree, null, null, architecture)
                        : new ImageInfo(distribution.cliName(), spec.release(), architecture),
                options.bootOrder() != null && Files.isRegularFile(options.bootOrder())
                        ? BootOrder.read(options.bootOrder()) : null));
        console.info("image digest " + result.digest());
        if (options.origin() != null) {
            new Publisher(console).publish(options.out(), options.origin(), token);
        }
        return new Built(result, origin);
    }

    private void writeFiles(Path tree, List<ImageSpec.FileEntry> files) {
        for (ImageSpec.FileEntry file : files) {
            if (file.path() == null) {
                throw new UserError("a files entry has no path");
            }
            Path target = TreePaths.resolveInside(tree, file.path());
            try {
                Files.createDirectories(target.getParent());
                Files.deleteIfExists(target);
                Files.writeString(target, file.content() == null ? "" : file.content(), StandardCharsets.UTF_8);
                Files.setPosixFilePermissions(target, mode(file.mode() == null ? "0644" : file.mode(), file.path()));
            } catch (IOException e) {
                throw new UserError("cannot write " + file.path() + " into the image: " + e.getMessage());
            }
            console.info("wrote " + file.path());
        }
    }

    private void runSteps(Path tree, List<ImageSpec.Step> steps) {
        if (steps.isEmpty()) {
            return;
        }
        NoServiceStarts.during(tree, () -> {
            for (int i = 0; i < steps.size(); i++) {
                ImageSpec.Step step = steps.get(i);
                String name = step.name() == null ? "step " + (i + 1) : step.name();
                if (step.run() == null) {
                    throw new UserError("step '" + name + "' has no run command");
                }
                console.info("step " + (i + 1) + "/" + steps.size() + ": " + name);
                runner.run("step '" + name + "'", NamespaceExec.processBuilder(
                        NamespaceExec.Request.of(tree, List.of("/bin/sh", "-ec", step.run()))
                                .withEnvironment(Map.of("DEBIAN_FRONTEND", "noninteractive"))));
            }
        });
    }

    static Set<PosixFilePermission> mode(String octal, String path) {
        int value;
        try {
            value = Integer.parseInt(octal, 8);
        } catch (NumberFormatException e) {
            throw new UserError("mode '" + octal + "' of " + path + " is not octal (e.g. 0644)");
        }
        if (value > 0777) {
            throw new UserError("mode '" + octal + "' of " + path + ": only permission bits (0..0777) are supported");
        }
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < order.length; bit++) {
            if ((value & (1 << bit)) != 0) {
                permissions.add(order[bit]);
            }
        }
        return permissions;
    }

    public static String readTokenFile(Path tokenFile) {
        if (tokenFile == null) {
            throw new UserError("publishing needs --token-file FILE with the origin's upload token");
        }
        try {
            String token = Files.readString(tokenFile).strip();
            if (token.isEmpty() || token.contains("\n")) {
                throw new UserError("token file " + tokenFile + " must hold one token on one line");
            }
            return token;
        } catch (IOException e) {
            throw new UserError("cannot read token file " + tokenFile + ": " + e.getMessage());
        }
    }
}
