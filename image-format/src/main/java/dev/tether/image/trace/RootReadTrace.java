package dev.tether.image.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;

/**
 * What a boot read of the root image's plaintext (the squashfs), in the order it first read it: one line per read,
 * {@code offset,length,millis} (bytes from the squashfs's start, bytes, milliseconds since the image was
 * mounted), after a header line. The agent writes it on the node ({@code /run/tether/root-read-trace.csv});
 * {@link BootFileList} names the files it read; a benchmark can replay it.
 */
public record RootReadTrace(List<Read> reads) {
    public static final String HEADER = "offset,length,millis";
    /** A trace file is read back by tests and benchmarks: enough for any boot the agent records, and bounded. */
    private static final int MAX_LINES = 1 << 20;

    public RootReadTrace {
        reads = List.copyOf(reads);
    }

    /** One read of {@code length} bytes at {@code offset}, {@code millis} after the mount. */
    public record Read(long offset, long length, long millis) {
        public Read {
            if (offset < 0 || length <= 0 || millis < 0) {
                throw new IllegalArgumentException("a read of " + length + " bytes at " + offset + " after " + millis + " ms");
            }
        }

        public long end() {
            return offset + length;
        }
    }

    /** Bytes the trace covers, each counted once however often it was read. */
    public long distinctBytes() {
        List<Read> sorted = new ArrayList<>(reads);
        sorted.sort((a, b) -> Long.compare(a.offset(), b.offset()));
        long total = 0;
        long coveredTo = 0;
        for (Read read : sorted) {
            long from = Math.max(read.offset(), coveredTo);
            if (read.end() > from) {
                total += read.end() - from;
                coveredTo = read.end();
            }
        }
        return total;
    }

    public void write(Writer out) throws IOException {
        out.write(HEADER);
        out.write('\n');
        for (Read read : reads) {
            out.write(read.offset() + "," + read.length() + "," + read.millis() + "\n");
        }
        out.flush();
    }

    public static RootReadTrace read(Reader in) throws IOException {
        BufferedReader lines = new BufferedReader(in);
        String header = lines.readLine();
        if (!HEADER.equals(header)) {
            throw new IOException("not a root read trace: the first line is not " + HEADER);
        }
        List<Read> reads = new ArrayList<>();
        int number = 1;
        for (String line; (line = lines.readLine()) != null; ) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            if (reads.size() >= MAX_LINES) {
                throw new IOException("the root read trace has more than " + MAX_LINES + " reads");
            }
            String[] fields = line.split(",", -1);
            try {
                if (fields.length != 3) {
                    throw new IllegalArgumentException("3 fields wanted");
                }
                reads.add(new Read(Long.parseLong(fields[0].strip()), Long.parseLong(fields[1].strip()),
                        Long.parseLong(fields[2].strip())));
            } catch (IllegalArgumentException e) {
                throw new IOException("line " + number + " of the root read trace is not offset,length,millis: " + line, e);
            }
        }
        return new RootReadTrace(reads);
    }
}
