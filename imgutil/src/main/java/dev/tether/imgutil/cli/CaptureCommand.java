package dev.tether.imgutil.cli;

import dev.tether.imgutil.Imgutil;
import dev.tether.imgutil.pack.SystemCapture;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "capture", sortOptions = false, usageHelpAutoWidth = true, mixinStandardHelpOptions = true,
        description = {"Capture a running system into a new tree.", "",
            "Captures a running system into a new tree, to customise and pack as an image: this host's "
                + "root by default, or another's over SSH with --source HOST:/. Stays on the root filesystem and "
                + "leaves out what pack leaves out (/proc, /sys, /dev, /run and /tmp content, caches, logs, SSH host "
                + "keys, machine-id). DIR appears only when the copy is complete. Needs root and rsync."})
public final class CaptureCommand implements Callable<Integer> {
    @ParentCommand
    Imgutil parent;

    @Parameters(index = "0", paramLabel = "DIR", description = "The new tree; must not exist.")
    Path dir;

    @Option(names = "--source", paramLabel = "PATH|HOST:PATH", defaultValue = "/",
            description = "What to capture: a local directory or [USER@]HOST:PATH over SSH. Default: ${DEFAULT-VALUE}.")
    String source;

    @Override
    public Integer call() {
        new SystemCapture(parent.console(), parent.runner()).capture(source, dir);
        return 0;
    }
}
