package dev.tether.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.agent.AgentConsole;
import dev.tether.agent.image.Backoff;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A machine waiting to be enrolled outlasts a node API it cannot reach: it keeps asking, and says so. */
class RegistrationTest {
    @TempDir
    Path sysfs;

    @Test
    void anUnreachableNodeApiIsAskedAgainInsteadOfStoppingTheMachine() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        var consoleBytes = new ByteArrayOutputStream();
        var console = new AgentConsole(new PrintStream(consoleBytes, true, StandardCharsets.UTF_8), Optional.empty(), false);
        var settings = new NodeApiClient.Settings(Duration.ofSeconds(2), Duration.ofSeconds(2), 1,
                new Backoff(Duration.ofMillis(10), Duration.ofMillis(10)), Duration.ofSeconds(1));
        var api = new NodeApiClient(List.of(URI.create("https://127.0.0.1:" + closed)), "hpc", null, SSLContext.getDefault(),
                settings, NodeApiClient.Sleeper.REAL, console);
        List<Duration> waits = new ArrayList<>();
        NodeApiClient.Sleeper sleeper = duration -> {
            waits.add(duration);
            if (waits.size() == 3) {
                throw new InterruptedException("the test has seen enough");
            }
        };
        var registration = new Registration(api, "compute", TpmAccess.NONE, sysfs, console, sleeper, Duration.ofSeconds(15));

        assertThatThrownBy(() -> registration.untilEnrolled("52:54:00:aa:00:01")).isInstanceOf(InterruptedException.class);

        assertThat(waits).as("asked three times, waiting the interval between").containsExactly(
                Duration.ofSeconds(15), Duration.ofSeconds(15), Duration.ofSeconds(15));
        assertThat(consoleBytes.toString(StandardCharsets.UTF_8)).contains("cannot register this machine now")
                .contains("asking again in 15 s");
    }
}
