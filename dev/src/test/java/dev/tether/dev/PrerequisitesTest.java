package dev.tether.dev;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.dev.Prerequisites.Need;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrerequisitesTest {

    @Test
    void whatIsMissingIsNamedByItsPackageOnceAndInstalledByOneCommand() {
        var needs = List.of(
                new Need("sh", "dash", false),
                new Need("no-such-tool-" + ProcessHandle.current().pid(), "made-up-tools", false),
                new Need("another-missing-tool-" + ProcessHandle.current().pid(), "made-up-tools", false),
                new Need("/no/such/rom.bin", "rom-package", true));

        var missing = Prerequisites.missingPackages(needs);

        assertThat(missing).containsExactly("made-up-tools", "rom-package");
        assertThat(Prerequisites.instructions(missing))
                .isEqualTo("apt-get update && apt-get install -y --no-install-recommends made-up-tools rom-package");
    }

    @Test
    void nothingMissingMeansNothingToInstall() {
        assertThat(Prerequisites.missingPackages(List.of(new Need("sh", "dash", false)))).isEmpty();
    }
}
