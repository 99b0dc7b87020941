package dev.tether.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandsTest {

    @Test
    void aCommandThatSucceedsGivesWhatItPrintedOnBothStreams() throws Exception {
        assertThat(Commands.run("sh", "-c", "echo out; echo err >&2")).isEqualTo("out\nerr\n");
        assertThat(Commands.succeeds("true")).isTrue();
    }

    @Test
    void aFailureNamesTheCommandItsStatusAndWhatItSaid() {
        assertThatThrownBy(() -> Commands.run("sh", "-c", "echo no such thing >&2; exit 3"))
                .isInstanceOf(IOException.class)
                .hasMessage("sh -c echo no such thing >&2; exit 3 failed (exit 3): no such thing");
    }

    @Test
    void aCommandThatDoesNotEndInTimeIsKilledAndSaysSo() throws Exception {
        // The shell prints, then waits on a child that keeps the output open: the timeout, not the output's end, ends it.
        assertThatThrownBy(() -> Commands.run(List.of("sh", "-c", "echo started; sleep 600"), Duration.ofMillis(300)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("did not end within 0.3 s: started");
        assertThat(Commands.succeeds("false")).isFalse();
    }
}
