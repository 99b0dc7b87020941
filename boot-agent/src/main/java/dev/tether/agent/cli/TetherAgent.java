package dev.tether.agent.cli;

import dev.tether.agent.AgentConsole;
import dev.tether.agent.AgentServices;
import dev.tether.agent.image.KernelLog;
import java.io.PrintStream;
import java.util.List;
import java.util.Optional;

/** {@code tether-agent}: the node side of Tether, run from the initramfs. */
public final class TetherAgent {
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

    /** One command the agent runs: its syntax, whose parse sets the command's fields, and what it does. */
    interface AgentCommand {
        CommandSyntax syntax();

        int call() throws Exception;
    }

    private static final CommandSyntax SYNTAX = new CommandSyntax("tether-agent",
            List.of("The Tether boot agent: builds a diskless node's root from the edges, inside the initramfs."),
            List.of("", "Exit status: 0 on success, 1 when the boot failed (one line says why), 2 on a usage error."))
            .subcommand("boot", BootCommand.SUMMARY)
            .subcommand("selftest", SelftestCommand.SUMMARY)
            .subcommand("persistence", PersistenceCommand.SUMMARY);

    private TetherAgent() {
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
        if (args.length > 0) {
            switch (args[0]) {
                case "boot" -> {
                    return execute(new BootCommand(services, console), args, 1, out, console);
                }
                case "selftest" -> {
                    return execute(new SelftestCommand(console), args, 1, out, console);
                }
                case "persistence" -> {
                    return PersistenceCommand.run(args, 1, out, console);
                }
                default -> {
                }
            }
        }
        return groupArguments(SYNTAX, args, 0, out, console);
    }

    /** A command group's own arguments, where no command of it was named: its help, its version, or a usage error. */
    static int groupArguments(CommandSyntax group, String[] args, int from, PrintStream out, AgentConsole console) {
        Integer answered = answer(group, args, from, out, console);
        if (answered != null) {
            return answered;
        }
        group.printHelp(out);
        return USAGE_ERROR;
    }

    /** Parses the command's arguments from {@code from} on and runs it. */
    static int execute(AgentCommand command, String[] args, int from, PrintStream out, AgentConsole console) {
        Integer answered = answer(command.syntax(), args, from, out, console);
        if (answered != null) {
            return answered;
        }
        try {
            return command.call();
        } catch (Exception e) {
            console.error("internal error: " + oneLine(String.valueOf(e))
                    + " (boot with tether.debug or run with --debug for the stack trace, and report it)");
            console.debug(e);
            return INTERNAL_ERROR;
        }
    }

    /**
     * Parses {@code args} from {@code from} on with {@code syntax} (setting its command's fields) and answers what
     * needs no run, with its exit status: the help, the version, a usage error. Null when the command is to run.
     */
    private static Integer answer(CommandSyntax syntax, String[] args, int from, PrintStream out, AgentConsole console) {
        try {
            return switch (syntax.parse(args, from)) {
                case HELP -> {
                    syntax.printHelp(out);
                    yield 0;
                }
                case VERSION -> version(out);
                case RUN -> null;
            };
        } catch (CommandSyntax.UsageError e) {
            console.error(oneLine(e.getMessage()) + " (see '" + syntax.name() + " --help')");
            return USAGE_ERROR;
        }
    }

    /** The agent's version from its jar manifest, and the runtime it runs on. */
    private static int version(PrintStream out) {
        String version = TetherAgent.class.getPackage().getImplementationVersion();
        out.println("tether-agent " + (version == null ? "(development build)" : version) + " on Java "
                + Runtime.version());
        return 0;
    }

    /** A message as one console line: its line breaks, and the spaces around them, become "; ". */
    static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }
}
