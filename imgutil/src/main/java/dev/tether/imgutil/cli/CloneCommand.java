package dev.tether.imgutil.cli;

import dev.tether.imgutil.Imgutil;
import dev.tether.imgutil.pack.TreeCloner;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "clone", sortOptions = false, usageHelpAutoWidth = true, mixinStandardHelpOptions = true,
        description = {"Copy a tree exactly.", "",
            "Copies a tree exactly (hard links, ownership, modes, ACLs, xattrs such as file capabilities, "
                + "device nodes), to start a variant of an image. DST appears only when the copy is complete."})
public final class CloneCommand implements Callable<Integer> {
    @ParentCommand
    Imgutil parent;

    @Parameters(index = "0", paramLabel = "SRC", description = "The tree to copy.")
    Path source;

    @Parameters(index = "1", paramLabel = "DST", description = "The new tree; must not exist.")
    Path target;

    @Override
    public Integer call() {
        new TreeCloner(parent.console(), parent.runner()).cloneTree(source, target);
        return 0;
    }
}
