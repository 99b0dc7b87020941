package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadAheadTest {
    private final List<Long> prefetched = new ArrayList<>();
    private final ReadAhead readAhead = new ReadAhead(8, 100, this::record);
    private final List<long[]> ranges = new ArrayList<>();

    private long record(long first, long last) {
        ranges.add(new long[] {first, last});
        for (long index = first; index <= last; index++) {
            prefetched.add(index);
        }
        return last;
    }

    @Test
    void sequentialReadsFetchAheadInAGrowingWindow() {
        readAhead.onRead(10, 10);
        readAhead.onRead(10, 10);
        assertThat(prefetched).as("one chunk read twice is not yet a stream").isEmpty();
        readAhead.onRead(11, 11);
        assertThat(prefetched).containsExactly(12L, 13L);
        readAhead.onRead(12, 12);
        assertThat(prefetched).as("the window would double to 4, but the stream has read only 3 chunks")
                .containsExactly(12L, 13L, 14L, 15L);
        readAhead.onRead(13, 13);
        assertThat(prefetched).containsExactly(12L, 13L, 14L, 15L, 16L, 17L);
        for (long index = 14; index <= 20; index++) {
            readAhead.onRead(index, index);
        }
        assertThat(prefetched.getLast()).as("the window stops at its maximum").isEqualTo(28L);
    }

    @Test
    void aReaderThatStopsLeavesNoMoreFetchedAheadThanItRead() {
        for (long index = 40; index < 43; index++) {
            readAhead.onRead(index, index);
        }
        assertThat(prefetched).as("40 to 42 read: 43 to 45 fetched ahead, no more than were read")
                .containsExactly(42L, 43L, 44L, 45L);
    }

    @Test
    void withTwentyChunksReadPerChunkAheadAReaderThatStopsLeavesAtMostATwentiethUnread() {
        ReadAhead sparing = new ReadAhead(8, 20, 1000, this::record);
        for (long index = 0; index < 19; index++) {
            sparing.onRead(index, index);
        }
        assertThat(prefetched).as("19 chunks read: nothing ahead yet").isEmpty();
        for (long index = 19; index < 100; index++) {
            sparing.onRead(index, index);
        }
        assertThat(prefetched.getLast() - 99).as("100 chunks read: 5 ahead").isEqualTo(5);
    }

    @Test
    void theChunksAheadAreAskedForAsRangesSoThatTheyCanBeFetchedTogether() {
        for (long index = 0; index < 12; index++) {
            readAhead.onRead(index, index);
        }
        assertThat(ranges).as("each read asks for the window's new chunks at once")
                .anySatisfy(range -> assertThat(range[1] - range[0]).isGreaterThanOrEqualTo(1));
        assertThat(prefetched).as("no chunk asked for twice").doesNotHaveDuplicates();
    }

    @Test
    void randomReadsFetchNothingAhead() {
        for (long index : new long[]{50, 3, 77, 20, 91, 8, 60, 33}) {
            readAhead.onRead(index, index);
        }
        assertThat(prefetched).isEmpty();
    }

    @Test
    void twoInterleavedStreamsAreBothFollowedAndTheEndIsRespected() {
        readAhead.onRead(0, 0);
        readAhead.onRead(96, 96);
        readAhead.onRead(1, 1);
        readAhead.onRead(97, 97);
        assertThat(prefetched).containsExactly(2L, 3L, 98L, 99L);
        readAhead.onRead(98, 98);
        assertThat(prefetched).as("nothing past the last chunk").containsExactly(2L, 3L, 98L, 99L);
    }

    @Test
    void readsAheadOfTheStreamFromTheKernelsOwnReadAheadContinueIt() {
        readAhead.onRead(10, 10);
        readAhead.onRead(11, 11);
        readAhead.onRead(12, 12);
        assertThat(prefetched).containsExactly(12L, 13L, 14L, 15L);
        // The kernel's read-ahead threads read chunks 15 and 14 before 13: still the same stream.
        readAhead.onRead(15, 15);
        readAhead.onRead(14, 14);
        readAhead.onRead(13, 13);
        assertThat(prefetched).as("the window grew on, no new stream started")
                .containsExactly(12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L, 20L, 21L);
    }

    @Test
    void aChunkThePrefetcherDeclinedIsAskedForAgain() {
        List<Long> asked = new ArrayList<>();
        boolean[] busy = {false};
        // A prefetcher with room for one chunk at a time while busy.
        ReadAhead declining = new ReadAhead(8, 100, (first, last) -> {
            for (long index = first; index <= last; index++) {
                asked.add(index);
            }
            return busy[0] ? first : last;
        });
        declining.onRead(0, 0);
        declining.onRead(1, 1);
        assertThat(asked).containsExactly(2L, 3L);
        busy[0] = true;
        declining.onRead(2, 2);
        assertThat(asked.subList(2, asked.size())).as("asked for 4 and 5, took only 4").containsExactly(4L, 5L);
        busy[0] = false;
        declining.onRead(3, 3);
        assertThat(asked.subList(4, asked.size())).as("the declined chunk first, then on to the window")
                .containsExactly(5L, 6L, 7L);
    }
}
