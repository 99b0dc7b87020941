package dev.tether.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.dev.ImageCache;
import dev.tether.dev.LocalDiskReference;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.junit.jupiter.api.Tag;

/**
 * The local-disk reference on its own: the image boots from a virtio disk to an ssh login, and the phases are
 * printed. VmBootTest boots it too, beside the Tether boots; this is the quick way to see the limit alone.
 */
@Tag("vm")
class LocalDiskReferenceTest {
    private static final Path PROJECT = Path.of("..").toAbsolutePath().normalize();

    @VmTest(minutes = 6)
    void theImageBootsFromALocalDiskToAnSshLogin() throws Exception {
        var image = ImageCache.get(PROJECT);
        var boot = LocalDiskReference.boot(PROJECT, image, Path.of("target", "vm-reference").toAbsolutePath(), Duration.ofMinutes(15));
        var text = new StringBuilder("[LocalDiskReferenceTest] the image from a local virtio disk:\n");
        Instant start = boot.marks().get("start");
        for (var mark : boot.marks().entrySet()) {
            text.append(String.format(Locale.ROOT, "  %-16s +%6.1fs%n", mark.getKey(), Duration.between(start, mark.getValue()).toMillis() / 1000.0));
        }
        System.err.print(text);
        assertThat(boot.marks()).containsKeys("kernel running", "systemd running", "login prompt", "ssh login");
    }
}
