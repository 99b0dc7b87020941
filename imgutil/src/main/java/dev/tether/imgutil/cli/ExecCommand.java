package dev.tether.imgutil.cli;

import dev.tether.imgutil.Imgutil;
import dev.tether.imgutil.exec.BindMount;
import dev.tether.imgutil.exec.NamespaceExec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "exec", sortOptions = false, usageHelpAutoWidth = true, mixinStandardHelpOptions = true,
        description = {
            "Run a command inside a tree, in fresh namespaces.",
            "",
            "Runs a command (default: a login shell) inside a tree, in fresh mount, PID and UTS namespaces: "
                    + "/proc, /sys, a minimal /dev with /dev/pts, /run, /tmp and the host's resolv.conf are mounted "
                    + "for the command and gone afterwards. The command is PID 1 of its namespace. Nothing mounted "
                    + "stays on the host, even when the command fails or is killed.",
            "Put the command after -- when it has options of its own. The exit status is the command's. Needs root."})
public final class ExecCommand implements Callable<Integer> {
    @ParentCommand
    Imgutil parent;

    @Parameters(index = "0", paramLabel = "DIR", description = "The tree.")
    Path dir;

    @Parameters(index = "1..*", paramLabel = "CMD", description = "The command and its arguments.")
    List<String> command = new ArrayList<>();

    @Option(names = "--bind", paramLabel = "SRC[:DST]",
            description = "Bind-mount host path SRC at DST inside the tree (default: the same path); may be repeated.")
    List<String> binds = new ArrayList<>();

    @Option(names = "--hostname", paramLabel = "NAME", defaultValue = "imgutil",
            description = "Host name inside the namespace. Default: ${DEFAULT-VALUE}.")
    String hostname;

    @Override
    public Integer call() {
        List<BindMount> mounts = binds.stream().map(BindMount::parse).toList();
        return NamespaceExec.run(new NamespaceExec.Request(dir, mounts, command, Map.of(), hostname),
                ProcessBuilder.Redirect.INHERIT, ProcessBuilder.Redirect.INHERIT, ProcessBuilder.Redirect.INHERIT);
    }
}
