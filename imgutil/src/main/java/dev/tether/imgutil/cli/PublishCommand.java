package dev.tether.imgutil.cli;

import dev.tether.imgutil.Imgutil;
import dev.tether.imgutil.publish.Publisher;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "publish", sortOptions = false, usageHelpAutoWidth = true, mixinStandardHelpOptions = true,
        description = {"Upload the output of pack to the origin content server.", "",
            "Uploads the output of pack to the origin content server: each artifact by HTTP PUT to "
                + "/blobs/sha256/<hex> with the bearer token, skipping those the origin already has, the manifest "
                + "last. Prints the image digest on stdout."})
public final class PublishCommand implements Callable<Integer> {
    @ParentCommand
    Imgutil parent;

    @Parameters(index = "0", paramLabel = "OUTDIR", description = "An output directory of pack.")
    Path outDir;

    @Mixin
    OriginOptions destination;

    @Spec
    CommandSpec command;

    @Override
    public Integer call() {
        destination.requireForPublishing(command);
        URI uri = destination.originUri();
        parent.out().println(new Publisher(parent.console()).publish(outDir, uri, destination.token()));
        return 0;
    }
}
