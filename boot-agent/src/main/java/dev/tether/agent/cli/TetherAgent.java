package dev.tether.agent.cli;

import dev.tether.agent.AgentConsole;
import dev.tether.agent.AgentServices;
import dev.tether.agent.image.KernelLog;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code tether-agent}: the node side of Tether, run from the initramfs. */
@Command(name = "tether-agent",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "The Tether boot agent: builds a diskless node's root from the edges, inside the initramfs.",
        footer = {"", "Exit status: 0 on success, 1 when the boot failed (one line says why), 2 on a usage error."})
public final class TetherAgent implements Callable<Integer> {
    static final int USAGE_ERROR = 2;
    /** A bug in the agent itself (EX_SOFTWARE), kept apart from failures the administrator can fix. */
    static final int INTERNAL_ERROR = 70;
    /**
     * {@code boot} registered an unknown machine, which is now enrolled: the initramfs scripts reboot it (EX_TEMPFAIL:
     * try again, and the next boot succeeds).
     */
    public static final int ENROLLED_REBOOT = 75;
    /**
     * Set by the launcher (bin/tether-agent) on the {@code boot} process it supervises: that process may outlive
     * the initramfs, serving the root image (see the launcher for why it, not a parent JVM, waits for it).
     */
    static final String SUPERVISED = "TETHER_AGENT_SUPERVISED";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return USAGE_ERROR;
    }

    public static void main(String[] args) {
        if (System.getenv(SUPERVISED) != null) {
            // This process may serve the root image until the machine stops: systemd must spare it.
            String notMarked = ShutdownSurvivor.mark();
            if (notMarked != null) {
                System.out.println("tether: cannot mark the agent for systemd to spare at shutdown (" + notMarked
                        + "); a reboot may hang once the agent is killed");
            }
        }
        System.exit(run(args, System.out, AgentServices.production(), KernelLog.system()));
    }

    /** Runs one command line; every failure is one line and a non-zero status, never a bare stack trace. */
    public static int run(String[] args, PrintStream out, AgentServices services, Optional<KernelLog> kernelLog) {
        AgentConsole console = new AgentConsole(out, kernelLog, false);
        Map<String, Supplier<CommandLine>> subcommands = new LinkedHashMap<>();
        subcommands.put("boot", () -> new CommandLine(new BootCommand(services, console)));
        subcommands.put("selftest", () -> new CommandLine(new SelftestCommand(console)));
        subcommands.put("persistence", () -> new CommandLine(new PersistenceCommand())
                .addSubcommand(new CommandLine(new PersistenceCommand.Save(console))));
        CommandLine commandLine = new CommandLine(new TetherAgent());
        // picocli builds each command's model from its annotations, by reflection, in class files the JVM's AOT cache
        // cannot hold (picocli's are Java 5's): the command a run names is the only one it needs. Without one (help,
        // a usage error) every command is there to be listed.
        Supplier<CommandLine> named = args.length > 0 ? subcommands.get(args[0]) : null;
        if (named != null) {
            commandLine.addSubcommand(named.get());
        } else {
            subcommands.values().forEach(subcommand -> commandLine.addSubcommand(subcommand.get()));
        }
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(out, true));
        commandLine.setParameterExceptionHandler((exception, arguments) -> {
            console.error(oneLine(exception.getMessage()) + " (see '"
                    + exception.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return USAGE_ERROR;
        });
        commandLine.setExecutionExceptionHandler((exception, failed, parseResult) -> {
            console.error("internal error: " + oneLine(String.valueOf(exception))
                    + " (boot with tether.debug or run with --debug for the stack trace, and report it)");
            console.debug(exception);
            return INTERNAL_ERROR;
        });
        return commandLine.execute(args);
    }

    private static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }
}
