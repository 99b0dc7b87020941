package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The agent's memory against the launcher's bounds: the direct memory bound read back from the JVM's arguments,
 * the chunk cache sized from it, and the untethered download sized to the heap.
 */
class MemoryBoundsTest {

    @Test
    void theLastOptionBeforeTheProgramWinsInHotSpotsSizeSyntax() {
        assertThat(DirectMemoryLimit.parse(List.of("-Xmx32m", "-XX:MaxDirectMemorySize=48m", "-XX:MaxDirectMemorySize=128M",
                "-jar", "agent.jar", "-XX:MaxDirectMemorySize=1k"))).hasValue(128L << 20);
        assertThat(DirectMemoryLimit.size("2g")).hasValue(2L << 30);
        assertThat(DirectMemoryLimit.size("4096")).hasValue(4096);
        assertThat(DirectMemoryLimit.size("lots")).isEmpty();
        assertThat(DirectMemoryLimit.parse(List.of("-Xmx32m", "-jar", "agent.jar"))).isEmpty();
    }

    @Test
    void theCacheIsAFifthOfTheDirectBoundOrElseAThirtySecondOfRam() {
        assertThat(TetheredSettings.defaults(OptionalLong.of(80L << 20), 2L << 30).cacheBytes()).isEqualTo(16L << 20);
        assertThat(TetheredSettings.defaults(OptionalLong.of(8L << 20), 2L << 30).cacheBytes())
                .as("never below the minimum").isEqualTo(TetheredSettings.MIN_CACHE);
        assertThat(TetheredSettings.defaults(OptionalLong.empty(), 2L << 30).cacheBytes()).isEqualTo(64L << 20);
    }

    @Test
    void theLaunchersBoundsLeaveRoomForEveryChunkInFlight() {
        // The launcher's -XX:MaxDirectMemorySize=64m with 1 MiB chunks: the cache, a plaintext and a sealed buffer
        // for each load RemoteRootImage lets run at once (read-ahead window plus one per FUSE thread), and an
        // evicted chunk that each FUSE thread may still be copying from.
        long direct = 64L << 20;
        long chunk = 1L << 20;
        TetheredSettings settings = TetheredSettings.defaults(OptionalLong.of(direct), 2L << 30);
        long window = Math.min(settings.readAheadChunks(), settings.cacheBytes() / chunk / 2);
        long inFlight = (window + RemoteRootImage.FUSE_THREADS) * 2 * (chunk + 4096);
        long evictedButRead = RemoteRootImage.FUSE_THREADS * chunk;
        assertThat(settings.cacheBytes() + inFlight + evictedButRead).isLessThanOrEqualTo(direct);
    }

    @Test
    void theUntetheredDownloadRunsAsManyRequestsAsTheHeapHolds() {
        assertThat(UntetheredDownload.parallelismFor(3, 192L << 20)).as("the launcher's untethered heap").isEqualTo(6);
        assertThat(UntetheredDownload.parallelismFor(4, 192L << 20)).isEqualTo(8);
        assertThat(UntetheredDownload.parallelismFor(4, 32L << 20)).as("the tethered heap: slower, not failing").isEqualTo(1);
        assertThat(UntetheredDownload.parallelismFor(4, 8L << 20)).isEqualTo(1);
    }
}
