package dev.tether.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code tether nodes}: NodeCredentials in bulk. */
@Command(name = "nodes", mixinStandardHelpOptions = true, subcommands = {GenerateNodesCommand.class},
        description = "NodeCredentials for many machines at once.")
final class NodesCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
