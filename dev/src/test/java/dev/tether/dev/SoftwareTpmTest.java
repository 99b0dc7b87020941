package dev.tether.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The VM suite's swtpm: one that ends by itself says so, with its exit status; one closed by its owner says nothing. */
class SoftwareTpmTest {
    @Test
    void aSwtpmKilledUnderItsMachineLeavesItsExitStatusBehind(@TempDir Path dir) throws Exception {
        assumeTrue(SoftwareTpm.available(), "swtpm is not installed (Debian package swtpm)");
        try (var tpm = SoftwareTpm.start(dir.resolve("tpm"))) {
            ProcessHandle swtpm = swtpmServing(tpm.controlSocket());
            swtpm.destroyForcibly();
            tpm.exitSeen.get(30, TimeUnit.SECONDS);
            assertThat(Files.readString(dir.resolve("tpm/swtpm.out")))
                    .contains("exited with status 137 (signal 9): a machine that runs on it from now on has no TPM");
        }
    }

    @Test
    void aSwtpmClosedByItsOwnerIsNotReportedAsDead(@TempDir Path dir) throws Exception {
        assumeTrue(SoftwareTpm.available(), "swtpm is not installed (Debian package swtpm)");
        var tpm = SoftwareTpm.start(dir.resolve("tpm"));
        ProcessHandle swtpm = swtpmServing(tpm.controlSocket());
        tpm.close();
        tpm.exitSeen.get(30, TimeUnit.SECONDS);
        assertThat(swtpm.isAlive()).isFalse();
        assertThat(Files.readString(dir.resolve("tpm/swtpm.out"))).doesNotContain("exited");
    }

    private static ProcessHandle swtpmServing(Path controlSocket) {
        return ProcessHandle.current().children()
                .filter(p -> p.info().arguments().map(List::of).orElse(List.of()).stream()
                        .anyMatch(argument -> argument.contains(controlSocket.toString())))
                .findFirst().orElseThrow(() -> new AssertionError("no swtpm child serves " + controlSocket));
    }
}
