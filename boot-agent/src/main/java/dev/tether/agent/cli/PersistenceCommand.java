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
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tether-agent persistence save}: one save of the node's kept paths, run by its systemd units. */
@Command(name = "persistence",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "The running node's kept paths (NodeProfile spec.persistence).")
public final class PersistenceCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return TetherAgent.USAGE_ERROR;
    }

    @Command(name = "save",
            mixinStandardHelpOptions = true,
            description = {"Saves the kept paths to the operator, encrypted, when they changed since the last save.",
                "Run every save interval by tether-persistence-save.timer and at shutdown by tether-persistence.service."},
            footer = {"", "Exit status: 0 when saved or unchanged, 1 when the save failed (one line says why)."})
    static final class Save implements Callable<Integer> {
        @Option(names = "--session", paramLabel = "DIR", description = "The session the boot left. Default: /run/tether/persistence.")
        Path session = Path.of("/run/tether/persistence");

        @Option(names = "--root", paramLabel = "DIR", description = "The root the kept paths are in. Default: /.")
        Path root = Path.of("/");

        @Option(names = "--final", description = "The save at shutdown: says so on the console.")
        boolean last;

        private final AgentConsole console;

        Save(AgentConsole console) {
            this.console = console;
        }

        @Override
        public Integer call() {
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
