package dev.tether.agent.image;

import java.util.function.LongConsumer;

/**
 * Notices sequential reading and asks for the chunks ahead of it before they are read. Keeps a few
 * streams, as the kernel's read-ahead does, so two files read at once are both recognised. A stream that
 * moves into the next chunk doubles its window (from 2 up to the maximum); a read that matches no stream
 * starts a new one and prefetches nothing, so random reads cost no extra traffic.
 */
public final class ReadAhead {
    private static final int STREAMS = 4;
    private static final int FIRST_WINDOW = 2;

    private final int maxWindow;
    private final long chunkCount;
    private final LongConsumer prefetch;
    private final Stream[] streams = new Stream[STREAMS];
    private long clock;

    private static final class Stream {
        long last;
        long ahead;
        int window;
        long used;
    }

    /** @param prefetch called (outside any lock) for each chunk to fetch ahead */
    public ReadAhead(int maxWindow, long chunkCount, LongConsumer prefetch) {
        this.maxWindow = maxWindow;
        this.chunkCount = chunkCount;
        this.prefetch = prefetch;
    }

    /** Tells the read-ahead that a read touched chunks {@code first} to {@code last}. */
    public void onRead(long first, long last) {
        if (maxWindow <= 0) {
            return;
        }
        long from;
        long until;
        synchronized (this) {
            Stream stream = match(first);
            if (stream == null) {
                stream = leastRecentlyUsed();
                stream.last = last;
                stream.ahead = last;
                stream.window = 0;
                stream.used = ++clock;
                return;
            }
            stream.used = ++clock;
            if (last > stream.last) {
                stream.window = stream.window == 0 ? FIRST_WINDOW : Math.min(maxWindow, stream.window * 2);
                stream.last = last;
            }
            if (stream.window == 0) {
                return;
            }
            from = Math.max(stream.ahead, stream.last) + 1;
            until = Math.min(chunkCount - 1, stream.last + stream.window);
            stream.ahead = Math.max(stream.ahead, until);
        }
        for (long index = from; index <= until; index++) {
            prefetch.accept(index);
        }
    }

    /** A stream this read continues: within one chunk behind or ahead of where it was. */
    private Stream match(long first) {
        for (Stream stream : streams) {
            if (stream != null && first >= stream.last - 1 && first <= stream.last + 1) {
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
