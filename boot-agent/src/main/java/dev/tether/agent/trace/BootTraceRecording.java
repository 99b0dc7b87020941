package dev.tether.agent.trace;

import dev.tether.agent.fuse.ReadOnlyFile;
import dev.tether.image.squashfs.SquashfsImage;
import dev.tether.image.trace.BootFileList;
import dev.tether.image.trace.RootReadTrace;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A tethered boot's read trace, from the mount until the node has gone quiet after the hand-off: then it is
 * written to {@code root-read-trace.csv} in the booted system's {@code /run/tether} (the VM suite and a site fetch it
 * from there), mapped to the files it read ({@code boot-files.txt}, one path per line in first-read order), and the
 * file list is handed to whoever reports it to the operator. All after the hand-off, on a thread of its own: the
 * boot never waits for it.
 */
public final class BootTraceRecording {
    public static final String TRACE_FILE = "root-read-trace.csv";
    public static final String FILES_FILE = "boot-files.txt";
    private static final long POLL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ReadTraceRecorder recorder;
    private final ReadOnlyFile plaintext;
    private final LongSupplier nanoTime;

    /**
     * @param plaintext the decrypted squashfs, read without recording (mapping reads its metadata)
     */
    public BootTraceRecording(ReadTraceRecorder recorder, ReadOnlyFile plaintext, LongSupplier nanoTime) {
        this.recorder = recorder;
        this.plaintext = plaintext;
        this.nanoTime = nanoTime;
    }

    public ReadTraceRecorder recorder() {
        return recorder;
    }

    /** What came of a finished recording. */
    public record Result(RootReadTrace trace, List<String> files) {
    }

    /**
     * Starts a daemon thread that waits for the window to close after this hand-off, then writes the trace and the file
     * list into {@code runDir} and hands the list to {@code report}.
     *
     * <p>The files are opened now, before the hand-off: after it this process still sees the initramfs's root, where
     * {@code /run} is an empty directory, its tmpfs moved into the booted system; open descriptors follow the tmpfs.
     *
     * @param log where a line about the outcome goes
     */
    public Thread finishInBackground(TraceWindow window, Path runDir, Consumer<List<String>> report, Consumer<String> log)
            throws IOException {
        long handOff = nanoTime.getAsLong();
        Files.createDirectories(runDir);
        FileChannel traceOut = open(runDir.resolve(TRACE_FILE));
        FileChannel filesOut = open(runDir.resolve(FILES_FILE));
        return Thread.ofPlatform().name("boot-trace").daemon(true).start(() -> {
            while (!window.closed(handOff, recorder.lastFirstReadNanos(), nanoTime.getAsLong())) {
                LockSupport.parkNanos(POLL_NANOS);
            }
            try (traceOut; filesOut) {
                Result result = finish(traceOut, filesOut);
                log.accept("recorded the boot's reads of the root image: " + result.trace().reads().size() + " reads, "
                        + (result.trace().distinctBytes() >> 20) + " MiB, " + result.files().size() + " files ("
                        + runDir.resolve(TRACE_FILE) + ")");
                report.accept(result.files());
            } catch (IOException | RuntimeException e) {
                log.accept("cannot record the boot's reads of the root image: " + e.getMessage());
            }
        });
    }

    /** Stops recording, writes the trace and the file list into {@code runDir}, and returns them. */
    public Result finish(Path runDir) throws IOException {
        Files.createDirectories(runDir);
        try (FileChannel traceOut = open(runDir.resolve(TRACE_FILE)); FileChannel filesOut = open(runDir.resolve(FILES_FILE))) {
            return finish(traceOut, filesOut);
        }
    }

    /** The trace is written first, the file list last and in one piece: a reader that finds the list finds both. */
    private Result finish(FileChannel traceOut, FileChannel filesOut) throws IOException {
        RootReadTrace trace = recorder.stop();
        StringWriter text = new StringWriter();
        trace.write(text);
        writeFully(traceOut, text.toString());
        List<String> files = BootFileList.map(SquashfsImage.open(plaintext::read).files(), trace);
        writeFully(filesOut, files.isEmpty() ? "" : String.join("\n", files) + "\n");
        return new Result(trace, files);
    }

    private static FileChannel open(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
    }

    private static void writeFully(FileChannel out, String text) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }
}
