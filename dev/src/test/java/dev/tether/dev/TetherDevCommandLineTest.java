package dev.tether.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line's own mistakes: exit 2 and a line saying what is wrong, before anything starts. */
class TetherDevCommandLineTest {

    private record Run(int status, String err) {
    }

    private static Run run(String... args) {
        StringWriter err = new StringWriter();
        int status = new CommandLine(new TetherDev()).setErr(new PrintWriter(err)).execute(args);
        return new Run(status, err.toString());
    }

    @Test
    void noSubcommandSaysWhatToDo() {
        Run run = run();
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).contains("say what to do: up or timeline");
    }

    @Test
    void anUnknownOptionIsNamed() {
        Run run = run("up", "--untehtered");
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).contains("--untehtered");
    }

    @Test
    void timelineNeedsANode() {
        Run run = run("timeline");
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).contains("NODE");
    }
}
