package dev.tether.e2e.storm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class PercentilesTest {
    @Test
    void nearestRankOfAHundredSamples() {
        Percentiles p = Percentiles.of(LongStream.rangeClosed(1, 100).map(i -> 101 - i).toArray());
        assertThat(p).isEqualTo(new Percentiles(100, 50, 95, 99, 100));
    }

    @Test
    void theP99OfFiftyNodesIsTheSlowest() {
        Percentiles p = Percentiles.of(LongStream.rangeClosed(1, 50).toArray());
        assertThat(p.p50()).isEqualTo(25);
        assertThat(p.p95()).isEqualTo(48);
        assertThat(p.p99()).isEqualTo(50);
        assertThat(p.max()).isEqualTo(50);
    }

    @Test
    void oneSampleIsEveryPercentileAndNoneIsZero() {
        assertThat(Percentiles.of(new long[] {7})).isEqualTo(new Percentiles(1, 7, 7, 7, 7));
        assertThat(Percentiles.of(new long[0])).isEqualTo(Percentiles.NONE);
    }
}
