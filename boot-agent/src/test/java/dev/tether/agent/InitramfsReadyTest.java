package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The boot waits for the initramfs's word that its network is up, and no longer than its patience. */
class InitramfsReadyTest {
    @TempDir
    Path dir;

    @Test
    void aFileThatIsThereAlreadyIsNotWaitedFor() throws Exception {
        Path ready = Files.createFile(dir.resolve("tether-initramfs.ready"));
        InitramfsReady.await(ready, Duration.ZERO);
    }

    @Test
    void theBootBeginsOnceTheInitramfsWritesTheFile() throws Exception {
        Path ready = dir.resolve("tether-initramfs.ready");
        CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> {
            try {
                InitramfsReady.await(ready, Duration.ofMinutes(5));
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Files.createFile(ready);
        waiting.get(1, TimeUnit.MINUTES);
        assertThat(ready).exists();
    }

    @Test
    void anInitramfsThatNeverSaysSoFailsTheBootSayingWhatNeverCame() {
        Path ready = dir.resolve("tether-initramfs.ready");
        assertThatThrownBy(() -> InitramfsReady.await(ready, Duration.ofMillis(200))).isInstanceOf(IOException.class)
                .hasMessageStartingWith("the initramfs did not write " + ready + " within 0.2 s");
    }
}
