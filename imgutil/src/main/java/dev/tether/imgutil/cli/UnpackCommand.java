package dev.tether.imgutil.cli;

import dev.tether.imgutil.Imgutil;
import dev.tether.imgutil.pack.Unpacker;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "unpack", sortOptions = false, usageHelpAutoWidth = true, mixinStandardHelpOptions = true,
        description = {"Turn the output of pack back into a tree.", "",
            "Turns the output of pack back into a tree: checks root.img against the manifest and every "
                + "chunk against its tag, then unsquashfs into DIR (which appears only when complete). Needs root "
                + "to restore ownership."})
public final class UnpackCommand implements Callable<Integer> {
    @ParentCommand
    Imgutil parent;

    @Parameters(index = "0", paramLabel = "OUTDIR", description = "An output directory of pack.")
    Path outDir;

    @Parameters(index = "1", paramLabel = "DIR", description = "Where the tree goes: a new or empty directory.")
    Path dir;

    @Option(names = "--key-file", paramLabel = "FILE", description = "The image key; required for an encrypted image.")
    Path keyFile;

    @Option(names = "--scratch", paramLabel = "DIR", defaultValue = "/var/tmp",
            description = "Where the opened squashfs is kept meanwhile. Default: ${DEFAULT-VALUE}.")
    Path scratch;

    @Override
    public Integer call() {
        new Unpacker(parent.console(), parent.runner()).unpack(outDir, dir, keyFile, scratch);
        return 0;
    }
}
