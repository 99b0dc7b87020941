package dev.tether.e2e.storm;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Replays a boot's root reads against one node's reader, with the trace's pauses. */
final class TraceReader {
    /** A node's read of its root image: fills {@code dst} from {@code position}, or fails. */
    @FunctionalInterface
    interface Reader {
        int read(long position, ByteBuffer dst) throws IOException;
    }

    private TraceReader() {}

    /**
     * What a replay came to: the bytes read, and how long the node waited for its reads (the root phase less the
     * trace's own pauses: what the reader's latency costs a boot).
     */
    record Replayed(long bytes, long readMillis) {
    }

    /** Every read in turn, each not before its due time after {@code mountNanos}. */
    static Replayed replay(TraceReplay trace, long mountNanos, Reader reader) throws IOException, InterruptedException {
        int largest = trace.reads().stream().mapToInt(TraceReplay.Step::length).max().orElse(0);
        ByteBuffer buffer = ByteBuffer.allocate(largest);
        long total = 0;
        long readNanos = 0;
        for (TraceReplay.Step step : trace.reads()) {
            long wait = mountNanos + step.dueMillis() * 1_000_000 - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            buffer.clear().limit(step.length());
            long position = step.offset();
            long asked = System.nanoTime();
            while (buffer.hasRemaining()) {
                int n = reader.read(position, buffer);
                if (n <= 0) {
                    throw new IOException("the root image ended at " + position + ", before the trace's read of "
                            + step.length() + " bytes at " + step.offset());
                }
                position += n;
            }
            readNanos += System.nanoTime() - asked;
            total += step.length();
        }
        return new Replayed(total, readNanos / 1_000_000);
    }
}
