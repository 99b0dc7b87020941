import dev.tether.agent.fuse.ReadOnlyFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * The benchmark's look inside a FUSE file (BENCH_TRACE=1): how many reads the kernel sent it, of what size, and how
 * long the file took to answer them, per phase. It shows whether a reader is slow per read (fetching, decrypting)
 * or gets reads the wrong size or one at a time.
 */
final class TimedFile implements ReadOnlyFile {
    private static final int MAX_SAMPLES = 1 << 20;
    private final ReadOnlyFile file;
    private final LongSupplier fetched;
    private long fetchedBefore;
    private long[] sizes = new long[1024];
    private long[] nanos = new long[1024];
    private int count;
    private int inFlight;
    private int maxInFlight;

    /** @param fetched bytes the reader has fetched so far (null: it does not say) */
    TimedFile(ReadOnlyFile file, LongSupplier fetched) {
        this.file = file;
        this.fetched = fetched;
    }

    @Override
    public long size() {
        return file.size();
    }

    @Override
    public int read(long position, ByteBuffer dst) throws IOException {
        synchronized (this) {
            maxInFlight = Math.max(maxInFlight, ++inFlight);
        }
        long t0 = System.nanoTime();
        int n = file.read(position, dst);
        long took = System.nanoTime() - t0;
        synchronized (this) {
            inFlight--;
            if (count < MAX_SAMPLES) {
                if (count == sizes.length) {
                    sizes = Arrays.copyOf(sizes, count * 2);
                    nanos = Arrays.copyOf(nanos, count * 2);
                }
                sizes[count] = n;
                nanos[count] = took;
                count++;
            }
        }
        return n;
    }

    /** One line on the reads since the last call, and starts counting anew. */
    synchronized String phase(String label) {
        long[] s = Arrays.copyOf(sizes, count);
        long[] t = Arrays.copyOf(nanos, count);
        Arrays.sort(s);
        Arrays.sort(t);
        long bytes = Arrays.stream(s).sum();
        long big = 0;
        long bigNanos = 0;
        long smallNanos = 0;
        for (int i = 0; i < count; i++) {
            if (sizes[i] > 128 << 10) {
                big++;
                bigNanos += nanos[i];
            } else {
                smallNanos += nanos[i];
            }
        }
        String line = count == 0 ? "  " + label + ": no reads" : String.format(
                "  %-12s %6d FUSE reads, %6d KiB; size KiB p50 %4d max %4d; latency us p50 %6d p90 %6d p99 %6d mean %6d;"
                        + " at once max %d; %d reads > 128 KiB (mean %d us, the rest %d us)",
                label, count, bytes >> 10, s[count / 2] >> 10, s[count - 1] >> 10, t[count / 2] / 1000,
                t[(int) (count * 0.9)] / 1000, t[(int) (count * 0.99)] / 1000, Arrays.stream(t).sum() / count / 1000,
                maxInFlight, big, big == 0 ? 0 : bigNanos / big / 1000,
                count == big ? 0 : smallNanos / (count - big) / 1000);
        if (fetched != null) {
            long now = fetched.getAsLong();
            line += String.format("; fetched %d KiB", (now - fetchedBefore) >> 10);
            fetchedBefore = now;
        }
        count = 0;
        maxInFlight = 0;
        return line;
    }
}
