package dev.tether.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parent process that lets the initramfs go on while a tethered child keeps serving the image. */
class BootSupervisorTest {
    private final PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    @TempDir
    Path temp;

    @Test
    void returnsAsSoonAsTheChildIsReadyAndLeavesItRunning() throws Exception {
        Path pidFile = temp.resolve("child.pid");
        // The ready file is the last argument; the child stays, as a tethered agent does.
        String script = "echo $$ > " + pidFile + "; for last; do :; done; echo ready > \"$last\"; exec sleep 30";
        long start = System.nanoTime();
        int status = BootSupervisor.supervise(List.of("sh", "-c", script, "sh"), out);
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(status).isZero();
        assertThat(millis).isLessThan(10_000);
        ProcessHandle child = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).orElseThrow();
        assertThat(child.isAlive()).as("the child serves on after the parent returned").isTrue();
        child.destroy();
    }

    @Test
    void passesOnTheStatusOfAChildThatFailsBeforeBeingReady() {
        assertThat(BootSupervisor.supervise(List.of("sh", "-c", "exit 7", "sh"), out)).isEqualTo(7);
    }

    @Test
    void aChildThatIsReadyAndExitsIsASuccess() {
        String script = "for last; do :; done; echo ready > \"$last\"; exit 0";
        assertThat(BootSupervisor.supervise(List.of("sh", "-c", script, "sh"), out)).isZero();
    }
}
