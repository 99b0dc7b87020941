package dev.tether.e2e.storm;

import dev.tether.image.trace.RootReadTrace;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A recorded boot's root image reads as a simulated node replays them: in the recorded order, one after the other,
 * each issued no earlier than its recorded time since the mount times {@code timeScale} (0: as soon as the previous
 * read is answered). The trace was recorded in a VM under software emulation, whose boot runs several times slower
 * than a real machine's, so the storm scales its pauses down rather than replaying them as they were.
 *
 * @param reads     the reads in replay order, {@code dueMillis} already scaled
 * @param timeScale the factor applied to the recorded times
 */
public record TraceReplay(List<Step> reads, double timeScale) {
    public static final String SAMPLE_TRACE = "/traces/sample-boot-read-trace.csv";

    /** One read: {@code length} bytes at {@code offset}, not before {@code dueMillis} after the mount. */
    public record Step(long offset, int length, long dueMillis) {
    }

    public TraceReplay {
        reads = List.copyOf(reads);
        if (timeScale < 0 || Double.isNaN(timeScale)) {
            throw new IllegalArgumentException("the time scale must be 0 or more, not " + timeScale);
        }
    }

    public static TraceReplay of(RootReadTrace trace, double timeScale) {
        List<Step> steps = new ArrayList<>();
        for (RootReadTrace.Read read : trace.reads()) {
            if (read.length() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("a read of " + read.length() + " bytes is more than one replay step holds");
            }
            steps.add(new Step(read.offset(), (int) read.length(), Math.round(read.millis() * timeScale)));
        }
        return new TraceReplay(steps, timeScale);
    }

    /** The sample image's trace the VM suite recorded (e2e's test resources). */
    public static TraceReplay sample(double timeScale) throws IOException {
        try (var in = Objects.requireNonNull(TraceReplay.class.getResourceAsStream(SAMPLE_TRACE), SAMPLE_TRACE)) {
            return of(RootReadTrace.read(new InputStreamReader(in, StandardCharsets.UTF_8)), timeScale);
        }
    }

    /** The end of the furthest read: the smallest root image this trace can be replayed against. */
    public long end() {
        return reads.stream().mapToLong(s -> s.offset() + s.length()).max().orElse(0);
    }

    /** Bytes read, counting a byte read twice twice. */
    public long bytesRead() {
        return reads.stream().mapToLong(Step::length).sum();
    }

    /** The latest a replay can finish if every read were answered at once: the last read's due time. */
    public long pauseFloorMillis() {
        return reads.stream().mapToLong(Step::dueMillis).max().orElse(0);
    }

    /** How many distinct chunks of {@code chunkSize} bytes the reads touch: what a chunked reader must fetch at least. */
    public long chunksTouched(int chunkSize) {
        return reads.stream()
                .flatMapToLong(s -> java.util.stream.LongStream.rangeClosed(s.offset() / chunkSize, (s.offset() + s.length() - 1) / chunkSize))
                .distinct().count();
    }

    /**
     * The same reads as a FUSE file system of {@code maxRequest}-byte requests sees them (the kernel splits a larger
     * read into requests of at most its {@code max_read}), each due when the read it came from is.
     */
    public TraceReplay split(int maxRequest) {
        if (maxRequest <= 0) {
            throw new IllegalArgumentException("requests of " + maxRequest + " bytes");
        }
        List<Step> steps = new ArrayList<>();
        for (Step s : reads) {
            for (long at = s.offset(); at < s.offset() + s.length(); at += maxRequest) {
                steps.add(new Step(at, (int) Math.min(maxRequest, s.offset() + s.length() - at), s.dueMillis()));
            }
        }
        return new TraceReplay(steps, timeScale);
    }
}
