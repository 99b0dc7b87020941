package dev.tether.imgutil.cli;

import dev.tether.imgutil.Imgutil;
import dev.tether.imgutil.pack.PackResult;
import dev.tether.imgutil.spec.SpecRunner;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "run-spec", sortOptions = false, usageHelpAutoWidth = true, mixinStandardHelpOptions = true,
        description = {
            "Build, customise, pack and publish a DisklessImage spec.",
            "",
            "What the operator's builder Job runs: reads a DisklessImage spec (JSON: distribution, release, "
                    + "source, architecture, packages, repositories, steps, files, compression, encryption, chunkSize; other "
                    + "fields are ignored), then build, write the files, run the steps inside the image as exec "
                    + "does, pack, and publish when --origin is given.",
            "Writes one line of JSON to --result-file: the result on success, {\"error\":\"...\"} on failure. "
                    + "Prints the image digest on stdout. Needs root."})
public final class RunSpecCommand implements Callable<Integer> {
    @ParentCommand
    Imgutil parent;

    @Parameters(index = "0", paramLabel = "SPEC", description = "The spec as a JSON file.")
    Path specFile;

    @Option(names = "--work", required = true, paramLabel = "DIR",
            description = "Working directory: the tree is built in DIR/rootfs, the squashfs made in DIR/scratch.")
    Path work;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory of pack.")
    Path out;

    @Option(names = "--key-file", paramLabel = "FILE",
            description = "The image key, read or generated as by pack; required when the spec encrypts.")
    Path keyFile;

    @Option(names = "--result-file", paramLabel = "FILE",
            description = "Where the one-line JSON result goes, e.g. /dev/termination-log.")
    Path resultFile;

    @Mixin
    OriginOptions destination;

    @Option(names = "--agent-bundle", paramLabel = "DIR", description = "The boot agent bundle, as for build.")
    Path agentBundle;

    @Option(names = "--boot-order", paramLabel = "FILE",
            description = "The files a boot reads, first-read order, as for pack; a missing FILE packs without one"
                    + " (the operator mounts an optional ConfigMap there).")
    Path bootOrder;

    @Option(names = "--pull-secret", paramLabel = "FILE|DIR",
            description = "Registry credentials for an oci image: a docker config JSON, or the directory where the "
                    + "pull Secret is mounted.")
    Path pullSecret;

    @Override
    public Integer call() {
        PackResult result = new SpecRunner(parent.console(), parent.runner()).run(new SpecRunner.Options(specFile, work,
                out, keyFile, resultFile, destination.originUri(), destination.tokenFile(),
                agentBundle, pullSecret, bootOrder));
        parent.out().println(result.digest());
        return 0;
    }
}
