package dev.tether.imgutil.cli;

import dev.tether.imgutil.Imgutil;
import dev.tether.imgutil.pack.Inspector;
import dev.tether.imgutil.pack.KeyFile;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "inspect", sortOptions = false, usageHelpAutoWidth = true, mixinStandardHelpOptions = true,
        description = {"Show and check a root image container.", "",
            "Shows a root image container's header (format, cipher, key id, chunk size and count, sizes) "
                + "and digest, and checks every chunk: always when unencrypted, with --key-file when encrypted. Given "
                + "an OUTDIR of pack, inspects its root.img and checks it against the manifest. Exits 1 if anything "
                + "is damaged."})
public final class InspectCommand implements Callable<Integer> {
    @ParentCommand
    Imgutil parent;

    @Parameters(index = "0", paramLabel = "FILE", description = "A root image container, or an OUTDIR of pack.")
    Path file;

    @Option(names = "--key-file", paramLabel = "FILE", description = "The image key, to check an encrypted image's chunks.")
    Path keyFile;

    @Override
    public Integer call() {
        new Inspector(parent.console(), parent.out()).inspect(file, keyFile == null ? null : KeyFile.read(keyFile));
        return 0;
    }
}
