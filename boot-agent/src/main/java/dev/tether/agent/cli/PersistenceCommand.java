package dev.tether.agent.cli;

import dev.tether.agent.AgentConsole;
import dev.tether.agent.BootConfigException;
import dev.tether.agent.image.Backoff;
import dev.tether.agent.persistence.PersistenceSession;
import dev.tether.agent.persistence.Saver;
import dev.tether.agent.trust.NodeApiClient;
import dev.tether.agent.trust.NodeApiRefusal;
import dev.tether.agent.trust.NodeApiTls;
import dev.tether.nodeapi.NodeApi;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** {@code tether-agent persistence save}: one save of the node's kept paths, run by its systemd units. */
public final class PersistenceCommand {
    static final String SUMMARY = "The running node's kept paths (NodeProfile spec.persistence).";
    private static final CommandSyntax SYNTAX = new CommandSyntax("tether-agent persistence", List.of(SUMMARY), List.of())
            .subcommand("save", Save.SUMMARY);

    private PersistenceCommand() {
    }

    /** Runs {@code persistence save}, or answers the group's own arguments (without a command: a usage error). */
    static int run(String[] args, int from, PrintStream out, AgentConsole console) {
        if (from < args.length && args[from].equals("save")) {
            return TetherAgent.execute(new Save(console), args, from + 1, out, console);
        }
        return TetherAgent.groupArguments(SYNTAX, args, from, out, console);
    }

    static final class Save implements TetherAgent.AgentCommand {
        static final String SUMMARY = "Saves the kept paths to the operator, encrypted, when they changed since the"
                + " last save.";

        Path session = Path.of("/run/tether/persistence");
        Path root = Path.of("/");
        boolean last;

        private final AgentConsole console;

        Save(AgentConsole console) {
            this.console = console;
        }

        @Override
        public CommandSyntax syntax() {
            return new CommandSyntax("tether-agent persistence save",
                    List.of(SUMMARY,
                            "Run every save interval by tether-persistence-save.timer and at shutdown by"
                                    + " tether-persistence.service."),
                    List.of("", "Exit status: 0 when saved or unchanged, 1 when the save failed (one line says why)."))
                    .option("--session", "DIR", "The session the boot left. Default: /run/tether/persistence.",
                            value -> session = CommandSyntax.path("--session", value))
                    .option("--root", "DIR", "The root the kept paths are in. Default: /.",
                            value -> root = CommandSyntax.path("--root", value))
                    .flag("--final", "The save at shutdown: says so on the console.", () -> last = true);
        }

        @Override
        public int call() {
            Saver saver = new Saver(session, root, s -> client(s, session), console);
            try {
                saver.save();
                if (last) {
                    console.info("persistence: final save before shutdown done");
                }
                return 0;
            } catch (NoSuchFileException e) {
                console.error("persistence: no session in " + session + ": the boot kept nothing (see its console lines),"
                        + " so nothing is saved until the next boot");
                return BootCommand.FAILED;
            } catch (IOException | NodeApiRefusal | IllegalStateException e) {
                console.error("persistence: the save failed, the stored archive stays as it was: " + e.getMessage());
                return BootCommand.FAILED;
            }
        }

        private NodeApiClient client(PersistenceSession s, Path dir) {
            try {
                var settings = new NodeApiClient.Settings(Duration.ofSeconds(10), Duration.ofSeconds(30), 3,
                        new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(10)), Duration.ofSeconds(30));
                return new NodeApiClient(s.nodeApi(), s.namespace(), s.node(),
                        NodeApiTls.context(dir.resolve(PersistenceSession.CA_FILE), NodeApi.SERVER_NAME), settings,
                        NodeApiClient.Sleeper.REAL, console);
            } catch (BootConfigException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }
    }
}
