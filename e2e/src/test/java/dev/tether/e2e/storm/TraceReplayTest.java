package dev.tether.e2e.storm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.image.trace.RootReadTrace;
import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

class TraceReplayTest {
    private static TraceReplay replay(String csv, double scale) throws Exception {
        return TraceReplay.of(RootReadTrace.read(new StringReader(csv)), scale);
    }

    @Test
    void pausesAreScaledAndOrderKept() throws Exception {
        TraceReplay trace = replay("offset,length,millis\n4096,4096,1000\n0,16384,250\n", 0.1);
        assertThat(trace.reads()).containsExactly(new TraceReplay.Step(4096, 4096, 100), new TraceReplay.Step(0, 16384, 25));
        assertThat(trace.pauseFloorMillis()).isEqualTo(100);
        assertThat(trace.end()).isEqualTo(16384);
        assertThat(trace.bytesRead()).isEqualTo(20480);
    }

    @Test
    void chunksTouchedCountsEachChunkOnceAndReadsAcrossABoundaryTwice() throws Exception {
        int mib = 1 << 20;
        TraceReplay trace = replay("offset,length,millis\n0,4096,0\n8192,4096,0\n" + (mib - 10) + ",20,0\n" + (5L * mib) + ",1,0\n", 1);
        assertThat(trace.chunksTouched(mib)).isEqualTo(3);
    }

    @Test
    void splitMakesFuseSizedRequestsDueWithTheirRead() throws Exception {
        TraceReplay split = replay("offset,length,millis\n1000,300000,40\n", 1).split(128 * 1024);
        assertThat(split.reads()).containsExactly(
                new TraceReplay.Step(1000, 131072, 40),
                new TraceReplay.Step(132072, 131072, 40),
                new TraceReplay.Step(263144, 37856, 40));
        assertThat(split.bytesRead()).isEqualTo(300000);
    }

    @Test
    void theCommittedSampleTraceReplaysTheBootItRecorded() throws Exception {
        TraceReplay sample = TraceReplay.sample(1);
        assertThat(sample.reads()).hasSize(305);
        assertThat(sample.chunksTouched(1 << 20)).isEqualTo(65);
        assertThat(sample.end()).isLessThanOrEqualTo(StormArtifacts.SQUASHFS_BYTES);
        assertThat(TraceReplay.sample(0).pauseFloorMillis()).isZero();
    }

    @Test
    void aNegativeScaleIsRefused() {
        assertThatThrownBy(() -> new TraceReplay(List.of(), -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
