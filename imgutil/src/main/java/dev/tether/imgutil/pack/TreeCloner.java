package dev.tether.imgutil.pack;

import dev.tether.imgutil.UserError;
import dev.tether.imgutil.util.Console;
import dev.tether.imgutil.util.ProcessRunner;
import dev.tether.imgutil.util.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code imgutil clone}: an exact copy of a tree, with hard links, ownership, modes, ACLs, xattrs (file
 * capabilities) and device nodes kept, made under a temporary name and renamed when complete. rsync
 * when installed (it keeps hard links across the whole tree); else {@code cp -a}, which does too.
 */
public final class TreeCloner {
    private final Console console;
    private final ProcessRunner runner;

    public TreeCloner(Console console, ProcessRunner runner) {
        this.console = console;
        this.runner = runner;
    }

    public void cloneTree(Path source, Path target) {
        if (!Files.isDirectory(source)) {
            throw new UserError(source + (Files.exists(source) ? " is not a directory" : " does not exist"));
        }
        if (Files.exists(target)) {
            throw new UserError(target + " already exists; clone makes a new tree");
        }
        Path absoluteTarget = target.toAbsolutePath().normalize();
        Path partial = absoluteTarget.resolveSibling("." + absoluteTarget.getFileName() + ".partial");
        try {
            Files.createDirectories(absoluteTarget.getParent());
            if (source.toRealPath().startsWith(absoluteTarget.getParent().toRealPath().resolve(absoluteTarget.getFileName()))) {
                throw new UserError("cannot clone " + source + " into itself");
            }
        } catch (IOException e) {
            throw new UserError("cannot prepare " + target + ": " + e.getMessage());
        }
        runner.run("removing an old partial clone", List.of("rm", "-rf", "--one-file-system", partial.toString()));
        console.info("cloning " + source + " to " + target);
        if (Tools.onPath("rsync")) {
            runner.run("rsync", List.of("rsync", "-aHAX", "--numeric-ids", "--one-file-system",
                    source.toAbsolutePath() + "/", partial + "/"));
        } else {
            runner.run("cp", List.of("cp", "-a", source.toAbsolutePath().toString(), partial.toString()));
        }
        try {
            Files.move(partial, absoluteTarget);
        } catch (IOException e) {
            throw new UserError("cannot rename " + partial + " to " + target + ": " + e.getMessage());
        }
    }
}
