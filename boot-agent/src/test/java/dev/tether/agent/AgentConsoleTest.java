package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.image.KernelLog;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConsoleTest {
    @TempDir
    Path temp;

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();

    private AgentConsole console(Path kmsg) {
        return new AgentConsole(new PrintStream(printed, true, StandardCharsets.UTF_8), KernelLog.open(kmsg), false);
    }

    @Test
    void linesKeepReachingTheKernelLogAfterItsPathIsGone() throws Exception {
        Path kmsg = Files.createFile(temp.resolve("kmsg"));
        AgentConsole console = console(kmsg);
        console.info("root ready");

        // As after switch_root: the initramfs's /dev/kmsg is no longer there.
        Path moved = Files.move(kmsg, temp.resolve("old-root-kmsg"));
        console.warn("edge http://10.0.0.1:8080 down");
        console.error("cannot read chunk 3");

        assertThat(printed.toString(StandardCharsets.UTF_8).lines()).containsExactly("tether: root ready",
                "tether: edge http://10.0.0.1:8080 down", "tether: error: cannot read chunk 3");
        assertThat(Files.readString(moved).lines()).containsExactly("<6>tether: root ready",
                "<4>tether: edge http://10.0.0.1:8080 down", "<3>tether: error: cannot read chunk 3");
    }

    @Test
    void tetherConsoleConsoleStopsTheCopies() throws Exception {
        Path kmsg = Files.createFile(temp.resolve("kmsg"));
        AgentConsole console = console(kmsg);

        console.configure(false, false);
        console.info("console only");

        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("tether: console only");
        assertThat(Files.readString(kmsg)).isEmpty();
    }
}
