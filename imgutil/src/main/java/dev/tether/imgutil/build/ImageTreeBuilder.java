package dev.tether.imgutil.build;

import dev.tether.imgutil.UserError;
import dev.tether.imgutil.initramfs.InitramfsIntegration;
import dev.tether.imgutil.util.Console;
import dev.tether.imgutil.util.ProcessRunner;
import dev.tether.imgutil.util.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code imgutil build}: packages into a tree, then the Tether initramfs integration. The tree is made
 * under a hidden {@code .NAME.partial} beside the target and renamed only when finished, so a failed
 * or killed build never leaves a directory that looks like a complete image.
 */
public final class ImageTreeBuilder {
    private final Console console;
    private final ProcessRunner runner;

    public ImageTreeBuilder(Console console, ProcessRunner runner) {
        this.console = console;
        this.runner = runner;
    }

    /** Builds the tree at {@code target}; says where an OCI-sourced tree came from. */
    public TreeOrigin build(BuildRequest request, Path target) {
        Tools.requireRoot("imgutil build");
        Path absolute = target.toAbsolutePath().normalize();
        checkTarget(absolute);
        if (request.agentBundle() != null && !Files.isDirectory(request.agentBundle())) {
            throw new UserError("--agent-bundle " + request.agentBundle() + " is not a directory");
        }
        Path partial = absolute.resolveSibling("." + absolute.getFileName() + ".partial");
        runner.run("removing an old partial build", List.of("rm", "-rf", "--one-file-system", partial.toString()));
        try {
            Files.createDirectories(partial);
        } catch (IOException e) {
            throw new UserError("cannot create " + partial + ": " + e.getMessage());
        }
        long started = System.nanoTime();
        TreeOrigin origin = TreeBuilder.forDistribution(request.distribution(), runner).build(request, partial);
        new InitramfsIntegration(console, runner).install(partial, request.agentBundle());
        try {
            Files.deleteIfExists(absolute);
            Files.move(partial, absolute);
        } catch (IOException e) {
            throw new UserError("cannot rename " + partial + " to " + absolute + ": " + e.getMessage());
        }
        String what = origin.sourceImage() != null ? origin.sourceImage() + " (" + origin.sourceDigest() + ")"
                : request.distribution() + " " + request.release();
        console.info(String.format("built %s in %s (%.0f s)", what, absolute, (System.nanoTime() - started) / 1e9));
        return origin;
    }

    private static void checkTarget(Path target) {
        if (Files.isRegularFile(target)) {
            throw new UserError(target + " is a file; build wants a new or empty directory");
        }
        if (Files.isDirectory(target)) {
            try (Stream<Path> entries = Files.list(target)) {
                if (entries.findAny().isPresent()) {
                    throw new UserError(target + " is not empty; build wants a new or empty directory");
                }
            } catch (IOException e) {
                throw new UserError("cannot read " + target + ": " + e.getMessage());
            }
        }
        Path parent = target.getParent();
        if (parent == null) {
            throw new UserError("refusing to build into /");
        }
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw new UserError("cannot create " + parent + ": " + e.getMessage());
        }
        if (!Files.isWritable(parent)) {
            throw new UserError("cannot write to " + parent);
        }
    }
}
