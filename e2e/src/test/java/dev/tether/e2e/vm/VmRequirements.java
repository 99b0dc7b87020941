package dev.tether.e2e.vm;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.dev.ImageCache;
import dev.tether.dev.Prerequisites;
import java.util.Set;

/** What a Tether VM boot needs on this machine, as {@code ./tether-dev up} checks it: a test skips, saying what is missing. */
final class VmRequirements {
    private VmRequirements() {
    }

    static void assumeThisMachineBootsVms() {
        assumeTrue(ImageCache.isRoot(), "SKIPPED: the VM boot needs root (image build, edge addresses on lo)");
        Set<String> missing = Prerequisites.missingPackages(Prerequisites.LOCAL_BOOT);
        assumeTrue(missing.isEmpty(), () -> "SKIPPED: the VM boot needs " + String.join(", ", missing) + " ("
                + Prerequisites.instructions(missing) + ")");
    }
}
