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
        ReadAhead sparing = new ReadAhead(8, 20, 1, 1000, this::record);
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
    void readsOfAStreamThatArriveOutOfOrderBehindItContinueItAndTakeNoOtherStreamsPlace() {
        ReadAhead outOfOrder = new ReadAhead(8, 1, 8, 1000, this::record);
        // A reader's first read: a stream without a window yet.
        outOfOrder.onRead(50, 50);
        for (long index = 20; index <= 30; index++) {
            outOfOrder.onRead(index, index);
        }
        // The kernel's reads of the other stream, answered out of order: up to eight chunks behind the furthest.
        outOfOrder.onRead(23, 23);
        outOfOrder.onRead(28, 28);
        outOfOrder.onRead(25, 25);
        prefetched.clear();
        outOfOrder.onRead(51, 51);
        assertThat(prefetched).as("the first reader's stream kept its place: its second read starts its window")
                .containsExactly(52L, 53L);
    }

    @Test
    void aFewReadsElsewhereDoNotPushOutTheStreamBeingReadAhead() {
        for (long index = 10; index < 20; index++) {
            readAhead.onRead(index, index);
        }
        long ahead = prefetched.getLast();
        // A squashfs's reader reads an inode, a directory and a fragment, each far from its file's blocks.
        for (long index : new long[]{90, 70, 95, 60, 80}) {
            readAhead.onRead(index, index);
        }
        prefetched.clear();
        readAhead.onRead(20, 20);
        assertThat(prefetched).as("the file's stream goes on where it was").isNotEmpty()
                .allSatisfy(index -> assertThat(index).isGreaterThan(ahead));
    }

    @Test
    void streamsNoReadContinuesAnyMoreGiveWayToNewOnes() {
        ReadAhead many = new ReadAhead(8, 1, 1, 100_000, this::record);
        for (long start : new long[]{0, 1000, 2000}) {
            for (long index = start; index < start + 5; index++) {
                many.onRead(index, index);
            }
        }
        prefetched.clear();
        // A new reader among scattered reads, with three places held by streams nobody reads any more.
        long next = 50_000;
        for (int i = 0; i < 200 && prefetched.isEmpty(); i++) {
            many.onRead(next, next);
            next++;
            many.onRead(90_000 + 7L * i, 90_000 + 7L * i);
        }
        assertThat(prefetched).as("the new reader's stream got a place that stayed, and a window")
                .isNotEmpty().allSatisfy(index -> assertThat(index).isBetween(50_000L, 50_300L));
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
