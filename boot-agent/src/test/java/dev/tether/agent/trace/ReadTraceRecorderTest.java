package dev.tether.agent.trace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.image.trace.RootReadTrace.Read;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The recorder keeps first reads only, joins reads that continue each other, and stays within its bound. */
class ReadTraceRecorderTest {
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    private void advanceMillis(long millis) {
        clock.addAndGet(millis * 1_000_000);
    }

    @Test
    void keepsEachReadWithItsTimeSinceTheMount() {
        ReadTraceRecorder recorder = new ReadTraceRecorder(clock::get, 100);
        advanceMillis(5);
        recorder.served(0, 4096);
        advanceMillis(10);
        recorder.served(1 << 20, 131072);

        assertThat(recorder.stop().reads()).containsExactly(new Read(0, 4096, 5), new Read(1 << 20, 131072, 15));
    }

    @Test
    void joinsAReadThatContinuesTheOneBefore() {
        ReadTraceRecorder recorder = new ReadTraceRecorder(clock::get, 100);
        recorder.served(8192, 4096);
        advanceMillis(3);
        recorder.served(12288, 65536);
        recorder.served(12288 + 65536, 4096);

        assertThat(recorder.stop().reads()).containsExactly(new Read(8192, 4096 + 65536 + 4096, 0));
    }

    @Test
    void dropsReadsOfPagesAlreadyRead() {
        ReadTraceRecorder recorder = new ReadTraceRecorder(clock::get, 100);
        recorder.served(0, 8192);
        recorder.served(1 << 20, 4096);
        advanceMillis(50);
        recorder.served(4096, 4096);
        recorder.served(0, 100);

        assertThat(recorder.stop().reads()).containsExactly(new Read(0, 8192, 0), new Read(1 << 20, 4096, 0));
        // Only first reads move the quiet clock: the re-reads 50 ms later did not.
        assertThat(recorder.lastFirstReadNanos()).isEqualTo(1_000_000_000L);
    }

    @Test
    void keepsAtMostItsBoundAndCountsTheRest() {
        ReadTraceRecorder recorder = new ReadTraceRecorder(clock::get, 3);
        for (int i = 0; i < 10; i++) {
            recorder.served(i * (1L << 20), 4096);
        }

        assertThat(recorder.stop().reads()).hasSize(3);
        assertThat(recorder.droppedReads()).isEqualTo(7);
    }

    @Test
    void recordsNothingOnceStopped() {
        ReadTraceRecorder recorder = new ReadTraceRecorder(clock::get, 100);
        recorder.served(0, 4096);
        recorder.stop();
        recorder.served(1 << 20, 4096);

        assertThat(recorder.stop().reads()).containsExactly(new Read(0, 4096, 0));
    }

    @Test
    void theWindowClosesOnceQuietAfterTheHandOffOrAtItsBound() {
        TraceWindow window = new TraceWindow(Duration.ofSeconds(30), Duration.ofSeconds(300));
        long handOff = 0;
        long second = 1_000_000_000L;

        // Quiet since before the hand-off: the quiet time counts from the hand-off.
        assertThat(window.closed(handOff, -100 * second, 29 * second)).isFalse();
        assertThat(window.closed(handOff, -100 * second, 30 * second)).isTrue();
        // A first read 20 s after the hand-off keeps it open until 50 s.
        assertThat(window.closed(handOff, 20 * second, 49 * second)).isFalse();
        assertThat(window.closed(handOff, 20 * second, 50 * second)).isTrue();
        // A node that never goes quiet is cut off at the bound.
        assertThat(window.closed(handOff, 299 * second, 299 * second)).isFalse();
        assertThat(window.closed(handOff, 300 * second, 300 * second)).isTrue();
    }
}
