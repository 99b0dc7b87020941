package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

    @ParameterizedTest
    @ValueSource(ints = {16 << 10, 64 << 10, 256 << 10, 1 << 20})
    void theLaunchersBoundsLeaveRoomForEveryChunkInFlight(int chunk) {
        // The launcher's -XX:MaxDirectMemorySize=48m, with today's default chunks and with the larger ones of images
        // built before: the cache; the read-ahead window's chunks and a sealed buffer (a run of up to RUN_BYTES of
        // chunks) for each request it lets run at once; a plaintext chunk and a sealed run for each FUSE thread; and
        // an evicted chunk that each FUSE thread may still be copying from.
        long direct = 48L << 20;
        TetheredSettings settings = TetheredSettings.defaults(OptionalLong.of(direct), 2L << 30);
        long window = Math.min(settings.readAheadBytes(), settings.cacheBytes() / 2) / chunk;
        long maxRun = Math.max(1, RemoteRootImage.RUN_BYTES / chunk);
        long sealedRun = maxRun * (chunk + 16L);
        long readAhead = window * chunk + Math.max(1, Math.ceilDiv(window, maxRun)) * sealedRun;
        long fuseReads = RemoteRootImage.FUSE_THREADS * (chunk + sealedRun);
        long evictedButRead = (long) RemoteRootImage.FUSE_THREADS * chunk;
        assertThat(settings.cacheBytes() + readAhead + fuseReads + evictedButRead).isLessThanOrEqualTo(direct);
    }

    @Test
    void theUntetheredDownloadRunsAsManyRequestsAsTheHeapHolds() {
        assertThat(UntetheredDownload.parallelismFor(3, 192L << 20)).as("the launcher's untethered heap").isEqualTo(6);
        assertThat(UntetheredDownload.parallelismFor(4, 192L << 20)).isEqualTo(8);
        assertThat(UntetheredDownload.parallelismFor(4, 32L << 20)).as("the tethered heap: slower, not failing").isEqualTo(1);
        assertThat(UntetheredDownload.parallelismFor(4, 8L << 20)).isEqualTo(1);
    }
}
