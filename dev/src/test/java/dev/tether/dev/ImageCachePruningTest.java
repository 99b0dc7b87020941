package dev.tether.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pruning the image cache after a build keeps the newest earlier build and removes the rest, except a build that
 * another process (a test in another checkout) serves from: that one holds a shared lock on its {@code .inuse} file.
 */
class ImageCachePruningTest {
    @TempDir
    Path cache;

    @Test
    void aBuildAnotherProcessServesFromIsKeptAndOtherOldBuildsGo() throws Exception {
        Path oldest = build("e2e-image-1", 1);
        Path served = build("e2e-image-2", 2);
        Path newestEarlier = build("e2e-image-3", 3);
        Path current = build("e2e-image-4", 4);
        Path ociImage = build("e2e-oci-image-0", 0);

        // Another JVM serves from build 2, as ImageCache.get does: a shared lock on its .inuse file while it runs.
        Path holder = cache.resolve("Holder.java");
        Files.writeString(holder, """
                import java.nio.channels.FileChannel;
                import java.nio.file.*;
                class Holder {
                    public static void main(String[] args) throws Exception {
                        var channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                        channel.lock(0, Long.MAX_VALUE, true);
                        System.out.println("locked");
                        System.in.read();
                    }
                }
                """);
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), holder.toString(),
                served + ".inuse").redirectErrorStream(true).start();
        try (var lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(lines.readLine()).as("the other process holds its lock").isEqualTo("locked");

            ImageCache.pruneOlderBuilds(cache, current);

            assertThat(current).as("the build just made").exists();
            assertThat(newestEarlier).as("the newest earlier build, for the agent overlay loop").exists();
            assertThat(served).as("the build another process serves from").exists();
            assertThat(oldest).as("an old build nobody uses").doesNotExist();
            assertThat(ociImage).as("another image's build (VmOciImageTest's), pruned only by that image's builds").exists();
        } finally {
            process.destroy();
            process.waitFor();
        }
        ImageCache.pruneOlderBuilds(cache, current);
        assertThat(served).as("gone once nobody serves from it").doesNotExist();
        assertThat(newestEarlier).exists();
    }

    private Path build(String name, int age) throws Exception {
        Path dir = Files.createDirectories(cache.resolve(name).resolve("store"));
        Files.writeString(dir.resolve("blob"), name);
        Files.setLastModifiedTime(cache.resolve(name), FileTime.from(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(age)));
        return cache.resolve(name);
    }
}
