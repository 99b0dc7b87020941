package dev.tether.imgutil;

import dev.tether.imgutil.cli.BuildCommand;
import dev.tether.imgutil.cli.CaptureCommand;
import dev.tether.imgutil.cli.CloneCommand;
import dev.tether.imgutil.cli.ExecCommand;
import dev.tether.imgutil.cli.InspectCommand;
import dev.tether.imgutil.cli.PackCommand;
import dev.tether.imgutil.cli.PublishCommand;
import dev.tether.imgutil.cli.RunSpecCommand;
import dev.tether.imgutil.cli.UnpackCommand;
import dev.tether.imgutil.util.Console;
import dev.tether.imgutil.util.ProcessRunner;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code imgutil} command: builds, customises, packs and publishes Tether diskless images. */
@Command(name = "imgutil",
        mixinStandardHelpOptions = true,
        versionProvider = Imgutil.VersionProvider.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Builds, customises, packs and publishes diskless images for Tether.",
            "",
            "A typical image: build a tree, customise it, pack it, publish it:",
            "  imgutil build /img/node --distro debian --release bookworm \\",
            "      --agent-bundle /opt/tether/agent",
            "  imgutil exec /img/node -- apt-get install -y slurmd",
            "  imgutil pack /img/node /out/node --key-file /root/node.key",
            "  imgutil publish /out/node --origin https://origin:8443 --token /root/token",
            "",
            "Run 'imgutil COMMAND --help' for the options of each command.",
            ""},
        subcommands = {BuildCommand.class, ExecCommand.class, PackCommand.class, UnpackCommand.class,
            CloneCommand.class, CaptureCommand.class, PublishCommand.class, InspectCommand.class, RunSpecCommand.class,
            CommandLine.HelpCommand.class},
        footer = {"",
            "Exit status: 0 on success, 1 on an error (one line on stderr), 2 on a usage",
            "error; exec passes the command's own status through.",
            "Progress: a live line on a terminal, plain log lines otherwise",
            "(IMGUTIL_PROGRESS=plain forces them). IMGUTIL_DEBUG=1 adds stack traces."})
public final class Imgutil implements Callable<Integer> {
    /** Exit status of a bug in imgutil itself (EX_SOFTWARE), kept apart from user errors. */
    static final int INTERNAL_ERROR = 70;
    static final int USAGE_ERROR = 2;

    @Spec
    CommandSpec spec;

    private final PrintStream out;
    private final PrintStream err;
    private Console console;

    public Imgutil(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public PrintStream out() {
        return out;
    }

    /** Where progress and log lines go: stderr, shaped for a terminal or for a Job's log. */
    public Console console() {
        if (console == null) {
            console = Console.forStderr(err);
        }
        return console;
    }

    public ProcessRunner runner() {
        return new ProcessRunner(console());
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(err);
        return USAGE_ERROR;
    }

    public static void main(String[] args) {
        // A killed imgutil takes its tools with it; unshare's --kill-child then ends any namespace.
        Runtime.getRuntime().addShutdownHook(new Thread(
                () -> ProcessHandle.current().descendants().forEach(ProcessHandle::destroy)));
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line; every error is one line on {@code err} and a non-zero status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine commandLine = new CommandLine(new Imgutil(out, err));
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        commandLine.setParameterExceptionHandler((exception, arguments) -> {
            CommandLine failed = exception.getCommandLine();
            err.println("imgutil: " + oneLine(exception.getMessage()) + " (see '"
                    + failed.getCommandSpec().qualifiedName() + " --help')");
            return USAGE_ERROR;
        });
        commandLine.setExecutionExceptionHandler((exception, failed, parseResult) -> {
            if (exception instanceof UserError userError) {
                err.println("imgutil: " + oneLine(userError.getMessage()));
                return userError.exitCode();
            }
            err.println("imgutil: internal error: " + oneLine(String.valueOf(exception))
                    + " (set IMGUTIL_DEBUG=1 for the stack trace)");
            if (System.getenv("IMGUTIL_DEBUG") != null) {
                exception.printStackTrace(err);
            }
            return INTERNAL_ERROR;
        });
        return commandLine.execute(args);
    }

    private static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
    }

    /** Reports the version recorded at build time. */
    public static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"imgutil " + Version.get() + " (Tether root image format 1)"};
        }
    }
}
