package dev.tether.content.cli;

import dev.tether.content.server.ServerRuntime;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Parses the command line and runs a role; a configuration error is one line on stderr and exit 2. */
@Command(name = "content-server", mixinStandardHelpOptions = true, subcommands = {OriginCommand.class, EdgeCommand.class},
        description = "Tether content server: the origin store and the edges nodes boot from.")
public final class ContentServerCli implements Runnable {
    static final int CONFIG_ERROR = 2;
    static final int START_ERROR = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a role: origin or edge");
    }

    public static int run(String[] args, PrintStream err) {
        CommandLine cli = new CommandLine(new ContentServerCli());
        cli.setErr(new PrintWriter(err, true));
        cli.setParameterExceptionHandler((e, a) -> {
            err.println("content-server: " + e.getMessage());
            return CONFIG_ERROR;
        });
        cli.setExecutionExceptionHandler((e, c, parsed) -> {
            boolean config = e instanceof IllegalArgumentException || e instanceof NoSuchFileException;
            String message = e instanceof NoSuchFileException ? "no such file: " + e.getMessage() : e.getMessage();
            err.println("content-server: " + (message != null ? message : e.toString()));
            return config ? CONFIG_ERROR : START_ERROR;
        });
        return cli.execute(args);
    }

    /** Blocks until SIGTERM/SIGINT, then drains within the grace period. */
    static int runUntilStopped(ServerRuntime runtime, Duration grace)
            throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> runtime.shutdown(grace), "shutdown"));
        runtime.awaitShutdown();
        return 0;
    }
}
