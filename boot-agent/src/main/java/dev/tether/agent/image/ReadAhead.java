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
 * out of order and up to its own window ahead: a read anywhere from a few reads behind the stream to just past
 * what it has fetched ahead continues it. A chunk the prefetcher declines (all its slots busy) is not
 * counted as fetched ahead; the next read of the stream asks for it again.
 *
 * <p>Streams are few, and a read that continues none takes the place of one. A squashfs's reader interleaves
 * other reads with its file's (inodes, directories, fragments, elsewhere in the image), each of which starts a
 * stream of its own; so the place taken is that of a stream without a window, or of one no read has continued
 * for a while, before that of a stream being read ahead. Otherwise those few reads push the file's stream out,
 * and the stream that takes its place starts with no window and grows it again only as it reads (at most one
 * chunk ahead for every {@code readPerAhead} read).
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
    /** Reads elsewhere after which a stream with a window no longer keeps its place before the others. */
    private static final int IDLE_READS = 64;

    private final int maxWindow;
    private final int readPerAhead;
    private final int behind;
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
        this(maxWindow, 1, 1, chunkCount, prefetch);
    }

    /**
     * @param readPerAhead chunks a stream must have read for each chunk it fetches ahead
     * @param behind       how many chunks behind the furthest a stream has read one of its reads may start: the
     *                     kernel has several reads of a stream under way at once, answered by several threads, so
     *                     they arrive here out of order, as far apart as those reads are long together
     */
    public ReadAhead(int maxWindow, int readPerAhead, int behind, long chunkCount, Prefetcher prefetch) {
        if (readPerAhead < 1 || behind < 1) {
            throw new IllegalArgumentException("a stream reads at least one chunk per chunk ahead, and may be read"
                    + " at least one chunk behind");
        }
        this.maxWindow = maxWindow;
        this.readPerAhead = readPerAhead;
        this.behind = behind;
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
                stream = placeForANewStream();
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

    /** A stream this read continues: from {@code behind} chunks behind it to one past what it has fetched ahead. */
    private Stream match(long first) {
        for (Stream stream : streams) {
            if (stream != null && first >= stream.last - behind && first <= Math.max(stream.ahead, stream.last) + 1) {
                return stream;
            }
        }
        return null;
    }

    /**
     * The stream whose place a new one takes: an empty place; else the least recently used of the streams that
     * have no window or have not been continued for {@link #IDLE_READS} reads; else the least recently used.
     */
    private Stream placeForANewStream() {
        Stream oldest = null;
        Stream oldestUnprotected = null;
        for (int i = 0; i < STREAMS; i++) {
            Stream stream = streams[i];
            if (stream == null) {
                streams[i] = new Stream();
                return streams[i];
            }
            if (oldest == null || stream.used < oldest.used) {
                oldest = stream;
            }
            boolean protectedWindow = stream.window > 0 && clock - stream.used < IDLE_READS;
            if (!protectedWindow && (oldestUnprotected == null || stream.used < oldestUnprotected.used)) {
                oldestUnprotected = stream;
            }
        }
        return oldestUnprotected != null ? oldestUnprotected : oldest;
    }
}
