package dev.tether.agent.trace;

import dev.tether.agent.fuse.RecordingFile;
import dev.tether.image.trace.RootReadTrace;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Records the reads of the tethered root image's plaintext from the mount on, bounded in memory: only reads of
 * pages not read before are kept (a page read again says nothing new about where the boot's data lies, and such
 * reads are many: the loop device reads the file with direct I/O, so every read the squashfs makes again past its
 * own small caches, of a metadata or fragment block or of a device block two compressed blocks share, comes here),
 * a read that continues the one before extends it, and at most {@code maxReads} reads are kept (later ones are
 * counted, not kept). {@link #stop()} ends the recording.
 */
public final class ReadTraceRecorder implements RecordingFile.ReadListener {
    public static final int DEFAULT_MAX_READS = 65_536;
    private static final int PAGE_SHIFT = 12;

    private final LongSupplier nanoTime;
    private final long startNanos;
    private final int maxReads;
    /** Pages read so far: 32 KiB for a 1 GiB image. */
    private final BitSet pagesRead = new BitSet();
    private final List<RootReadTrace.Read> reads = new ArrayList<>();
    private long pendingOffset = -1;
    private long pendingEnd;
    private long pendingMillis;
    private long lastFirstReadNanos;
    private long droppedReads;
    private boolean stopped;

    /** @param nanoTime a monotonic clock ({@code System::nanoTime}); the recording starts now */
    public ReadTraceRecorder(LongSupplier nanoTime, int maxReads) {
        this.nanoTime = nanoTime;
        this.maxReads = maxReads;
        this.startNanos = nanoTime.getAsLong();
        this.lastFirstReadNanos = startNanos;
    }

    @Override
    public synchronized void served(long position, int length) {
        if (stopped || length <= 0) {
            return;
        }
        int firstPage = Math.toIntExact(position >>> PAGE_SHIFT);
        int endPage = Math.toIntExact((position + length - 1 >>> PAGE_SHIFT) + 1);
        int unread = pagesRead.nextClearBit(firstPage);
        if (unread >= endPage) {
            return;
        }
        pagesRead.set(firstPage, endPage);
        long now = nanoTime.getAsLong();
        lastFirstReadNanos = now;
        long end = position + length;
        if (pendingOffset >= 0 && position >= pendingOffset && position <= pendingEnd) {
            pendingEnd = Math.max(pendingEnd, end);
            return;
        }
        flushPending();
        if (reads.size() >= maxReads) {
            droppedReads++;
            return;
        }
        pendingOffset = position;
        pendingEnd = end;
        pendingMillis = (now - startNanos) / 1_000_000;
    }

    private void flushPending() {
        if (pendingOffset >= 0) {
            reads.add(new RootReadTrace.Read(pendingOffset, pendingEnd - pendingOffset, pendingMillis));
            pendingOffset = -1;
        }
    }

    /** The monotonic time of the last read of a page not read before (the mount's time until there is one). */
    public synchronized long lastFirstReadNanos() {
        return lastFirstReadNanos;
    }

    /** Reads not kept because the trace was full. */
    public synchronized long droppedReads() {
        return droppedReads;
    }

    /** Ends the recording (later reads are not recorded) and returns the trace. */
    public synchronized RootReadTrace stop() {
        if (!stopped) {
            stopped = true;
            flushPending();
        }
        return new RootReadTrace(reads);
    }
}
