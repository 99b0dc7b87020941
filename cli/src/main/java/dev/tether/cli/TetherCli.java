package dev.tether.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tether}: what an administrator runs on a workstation, beside kubectl. */
@Command(name = "tether", mixinStandardHelpOptions = true, versionProvider = TetherCli.Version.class,
        subcommands = {NodesCommand.class},
        description = "Tether for administrators: write NodeCredentials for a rack of machines (tether nodes generate).")
public final class TetherCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line; a mistake in it is one line on stderr and exit status 2. */
    public static int run(String... args) {
        return configure(new CommandLine(new TetherCli())).execute(args);
    }

    /** A mistake on the command line or in its input files is one message on stderr and exit status 2, no stack trace. */
    static CommandLine configure(CommandLine commandLine) {
        return commandLine.setParameterExceptionHandler((e, ignored) -> {
            e.getCommandLine().getErr().println("tether: " + e.getMessage());
            e.getCommandLine().getErr().println("(" + e.getCommandLine().getCommandSpec().qualifiedName(" ") + " --help says more)");
            return 2;
        });
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = TetherCli.class.getPackage().getImplementationVersion();
            return new String[] {"tether " + (version == null ? "(development build)" : version)};
        }
    }
}
