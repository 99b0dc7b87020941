package dev.tether.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.dev.ImageCache;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;

/** The VM image is built by imgutil run-spec as the builder Job runs it, published, and cached. */
@Tag("vm")
class VmImageBuildTest {

    @VmTest(minutes = 1)
    void imageIsBuiltPublishedAndCached() throws Exception {
        var image = ImageCache.get(Path.of("..").toAbsolutePath().normalize());
        assertThat(image.result().digest()).startsWith("sha256:");
        assertThat(image.result().encrypted()).as("encrypted by default").isTrue();
        assertThat(image.imageKey()).hasSize(32);
        assertThat(image.storeDir().resolve("blobs/sha256").resolve(image.result().rootImageDigest().substring(7))).exists();
    }
}
