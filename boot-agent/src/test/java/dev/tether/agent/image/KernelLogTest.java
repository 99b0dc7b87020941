package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plain file stands in for /dev/kmsg. After switch_root the initramfs's /dev is gone from the tethered
 * agent's view; renaming or deleting the stand-in is the same for a descriptor opened before.
 */
class KernelLogTest {
    @TempDir
    Path temp;

    @Test
    void recordsLandThroughTheDescriptorOpenedBeforeThePathWasRenamed() throws Exception {
        Path kmsg = Files.createFile(temp.resolve("kmsg"));
        KernelLog log = KernelLog.open(kmsg).orElseThrow();
        log.write(KernelLog.INFO, "tether: before");

        Path moved = Files.move(kmsg, temp.resolve("moved"));
        log.write(KernelLog.WARNING, "tether: after");

        assertThat(Files.readString(moved)).isEqualTo("<6>tether: before\n<4>tether: after\n");
        assertThat(kmsg).doesNotExist();
    }

    @Test
    void recordsLandAfterThePathWasDeleted() throws Exception {
        Path kmsg = Files.createFile(temp.resolve("kmsg"));
        KernelLog log = KernelLog.open(kmsg).orElseThrow();
        try (InputStream stillOpen = Files.newInputStream(kmsg)) {
            Files.delete(kmsg);
            log.write(KernelLog.ERR, "tether: error: gone");

            assertThat(new String(stillOpen.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("<3>tether: error: gone\n");
        }
        assertThat(kmsg).as("a write never creates the path again").doesNotExist();
    }

    @Test
    void aMissingKernelLogIsNotCreated() {
        assertThat(KernelLog.open(temp.resolve("kmsg"))).isEmpty();
        assertThat(temp.resolve("kmsg")).doesNotExist();
    }

    @Test
    void theDataPlanesSinkWritesTheConsoleLineAndAWarningCopy() throws Exception {
        Path kmsg = Files.createFile(temp.resolve("kmsg"));
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        ConsoleSink sink = ConsoleSink.to(new PrintStream(console, true, StandardCharsets.UTF_8), KernelLog.open(kmsg));

        Files.move(kmsg, temp.resolve("moved"));
        sink.message("edge down");

        assertThat(console.toString(StandardCharsets.UTF_8)).isEqualTo("tether: edge down" + System.lineSeparator());
        assertThat(Files.readString(temp.resolve("moved"))).isEqualTo("<4>tether: edge down\n");
    }
}
