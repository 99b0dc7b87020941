package dev.tether.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image cache's key holds the agent's runtime by what is in it: a rebuilt bundle whose only difference is its AOT
 * cache (a training run's output, never the same bytes twice) or its timestamps reuses the cached image build, which
 * takes minutes; a changed file in the runtime does not.
 */
class ImageCacheKeyTest {
    @TempDir
    Path dir;

    @Test
    void aRuntimeRebuiltWithAnotherAotCacheHasTheSameKeyAndAChangedFileAnother() throws Exception {
        assumeTrue(ImageCache.onPath("mksquashfs") && ImageCache.onPath("unsquashfs"),
                "SKIPPED: needs mksquashfs and unsquashfs (apt-get install squashfs-tools)");
        String first = hashOf("first", "the AOT cache of one training run", "the JDK's modules", Instant.parse("2026-12-01T00:00:00Z"));
        String retrained = hashOf("retrained", "the AOT cache of another run", "the JDK's modules", Instant.parse("2026-12-06T12:00:00Z"));
        String changed = hashOf("changed", "the AOT cache of one training run", "the JDK's modules, changed", Instant.parse("2026-12-01T00:00:00Z"));
        assertThat(retrained).as("another AOT cache and other timestamps").isEqualTo(first);
        assertThat(changed).as("a changed file in the runtime").isNotEqualTo(first);
    }

    /** A runtime's squashfs with {@code lib/modules} (as jlink makes it) and an AOT cache. */
    private String hashOf(String name, String aotCache, String modules, Instant time) throws Exception {
        Path tree = Files.createDirectories(dir.resolve(name).resolve("lib"));
        Files.writeString(tree.resolve("tether-agent.aot"), aotCache);
        Files.writeString(tree.resolve("modules"), modules);
        Files.setLastModifiedTime(tree.resolve("modules"), FileTime.from(time));
        Path squashfs = dir.resolve(name + ".squashfs");
        Commands.run(List.of("mksquashfs", tree.getParent().toString(), squashfs.toString(), "-noappend", "-quiet",
                "-no-progress"), Commands.PATIENCE);
        return ImageCache.squashfsContentHash(squashfs);
    }
}
