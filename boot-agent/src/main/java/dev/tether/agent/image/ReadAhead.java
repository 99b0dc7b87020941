package dev.tether.agent.image;

/**
 * Notices sequential reading and asks for the chunks ahead of it before they are read. Keeps a few
 * streams, as the kernel's read-ahead does, so two files read at once are both recognised. A stream that
 * moves into the next chunk doubles its window (from 2 up to the maximum); a read that matches no stream
 * starts a new one and prefetches nothing, so random reads cost no extra traffic.
 *
 * <p>The window never exceeds a share of what the stream has read so far ({@code 1 / readPerAhead}): a reader
 * that stops leaves at most that share of what it read fetched ahead and unread. With 20, reading a file costs
 * at most 5% more than the file, however long it is and wherever the reader stops.
 *
 * <p>The kernel reads a FUSE file ahead itself, on several threads at once, so reads of one stream arrive
 * out of order and up to its own window ahead: a read anywhere from just behind the stream to just past
 * what it has fetched ahead continues it. A chunk the prefetcher declines (all its slots busy) is not
 * counted as fetched ahead; the next read of the stream asks for it again.
 *
 * <p>The chunks ahead are asked for as ranges, so that the prefetcher can fetch consecutive chunks with one request
 * each: with small chunks, one request per chunk would cost more than the bytes.
 */
public final class ReadAhead {
    /** Fetches chunks ahead; called under the read-ahead's lock, so it must not block. */
    @FunctionalInterface
    public interface Prefetcher {
        /**
         * Starts fetching chunks {@code first} to {@code last} (or finds them cached or on their way), in order,
         * as far as it can now.
         *
         * @return the last chunk it covered, {@code first - 1} when it could take none
         */
        long prefetch(long first, long last);
    }

    private static final int STREAMS = 4;
    private static final int FIRST_WINDOW = 2;

    private final int maxWindow;
    private final int readPerAhead;
    private final long chunkCount;
    private final Prefetcher prefetch;
    private final Stream[] streams = new Stream[STREAMS];
    private long clock;

    private static final class Stream {
        long first;
        long last;
        long ahead;
        int window;
        long used;
    }

    public ReadAhead(int maxWindow, long chunkCount, Prefetcher prefetch) {
        this(maxWindow, 1, chunkCount, prefetch);
    }

    /** @param readPerAhead chunks a stream must have read for each chunk it fetches ahead */
    public ReadAhead(int maxWindow, int readPerAhead, long chunkCount, Prefetcher prefetch) {
        if (readPerAhead < 1) {
            throw new IllegalArgumentException("a stream reads at least one chunk per chunk ahead");
        }
        this.maxWindow = maxWindow;
        this.readPerAhead = readPerAhead;
        this.chunkCount = chunkCount;
        this.prefetch = prefetch;
    }

    /** Tells the read-ahead that a read touched chunks {@code first} to {@code last}. */
    public void onRead(long first, long last) {
        if (maxWindow <= 0) {
            return;
        }
        synchronized (this) {
            Stream stream = match(first);
            if (stream == null) {
                stream = leastRecentlyUsed();
                stream.first = first;
                stream.last = last;
                stream.ahead = last;
                stream.window = 0;
                stream.used = ++clock;
                return;
            }
            stream.used = ++clock;
            if (last > stream.last) {
                long read = last - stream.first + 1;
                stream.window = (int) Math.min(read / readPerAhead,
                        stream.window == 0 ? FIRST_WINDOW : Math.min(maxWindow, stream.window * 2));
                stream.last = last;
            }
            if (stream.window == 0) {
                return;
            }
            long until = Math.min(chunkCount - 1, stream.last + stream.window);
            long from = Math.max(stream.ahead, stream.last) + 1;
            if (from <= until) {
                stream.ahead = Math.max(stream.ahead, Math.min(until, prefetch.prefetch(from, until)));
            }
        }
    }

    /** A stream this read continues: from one chunk behind it to one past what it has fetched ahead. */
    private Stream match(long first) {
        for (Stream stream : streams) {
            if (stream != null && first >= stream.last - 1 && first <= Math.max(stream.ahead, stream.last) + 1) {
                return stream;
            }
        }
        return null;
    }

    private Stream leastRecentlyUsed() {
        int oldest = 0;
        for (int i = 0; i < STREAMS; i++) {
            if (streams[i] == null) {
                streams[i] = new Stream();
                return streams[i];
            }
            if (streams[i].used < streams[oldest].used) {
                oldest = i;
            }
        }
        return streams[oldest];
    }
}
