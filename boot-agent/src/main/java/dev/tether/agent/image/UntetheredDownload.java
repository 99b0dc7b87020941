package dev.tether.agent.image;

import dev.tether.image.format.ImageHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Downloads a whole root image into a file (in a tmpfs, for an untethered root): chunk requests run in
 * parallel, spread over all edges by the fetcher, each chunk verified and decrypted as it arrives and
 * written at its place, so the file is the plain squashfs and costs its compressed size in memory. A chunk
 * that fails or fails verification is fetched again from another edge.
 */
public final class UntetheredDownload {
    private static final Duration PROGRESS_INTERVAL = Duration.ofMillis(500);

    private final ChunkFetcher fetcher;
    private final ChunkOpener opener;
    private final ImageHeader header;
    private final int parallelism;
    private final AtomicLong nextChunk = new AtomicLong();
    private final AtomicLong bytesDone = new AtomicLong();
    private final AtomicReference<IOException> failure = new AtomicReference<>();

    public UntetheredDownload(ChunkFetcher fetcher, ChunkOpener opener, int parallelism) {
        this.fetcher = fetcher;
        this.opener = opener;
        this.header = opener.header();
        this.parallelism = parallelism;
    }

    /** Parallel requests for a set of edges: four per edge, 4 to 16. */
    public static int parallelismFor(int edges) {
        return Math.clamp(edges * 4L, 4, 16);
    }

    /** Writes the plaintext to {@code target} (created or truncated), reporting progress along the way. */
    public void downloadTo(Path target, Consumer<DownloadProgress> progress) throws IOException {
        long started = System.nanoTime();
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < parallelism; i++) {
                workers.add(Thread.ofPlatform().daemon().name("untethered-download-" + i).start(() -> work(out)));
            }
            try {
                for (Thread worker : workers) {
                    while (!worker.join(PROGRESS_INTERVAL)) {
                        progress.accept(progress(started));
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure.compareAndSet(null, new IOException("interrupted while downloading the root image"));
                fetcher.close();
            }
            if (failure.get() != null) {
                throw failure.get();
            }
            out.force(false);
        }
        progress.accept(progress(started));
    }

    private void work(FileChannel out) {
        ByteBuffer plain = ByteBuffer.allocate(header.chunkSize());
        long index;
        while (failure.get() == null && (index = nextChunk.getAndIncrement()) < header.chunkCount()) {
            long chunk = index;
            var location = header.locate(chunk);
            try {
                ByteBuffer data = fetcher.fetch(location.offset(), location.length(), chunk, "chunk " + chunk,
                        body -> opener.openInto(chunk, body.bytes(), plain));
                long position = chunk * header.chunkSize();
                int length = data.remaining();
                while (data.hasRemaining()) {
                    position += out.write(data, position);
                }
                bytesDone.addAndGet(length);
            } catch (IOException e) {
                failure.compareAndSet(null, e.getMessage() != null && e.getMessage().contains("No space left")
                        ? new IOException("the RAM disk is full: the root image needs " + header.plaintextSize()
                        + " bytes; give the node more memory or use the tethered method", e)
                        : e);
            }
        }
    }

    private DownloadProgress progress(long startedNanos) {
        long done = bytesDone.get();
        long total = header.plaintextSize();
        double seconds = Math.max(1e-9, (System.nanoTime() - startedNanos) / 1e9);
        double rate = done / seconds;
        Duration eta = done >= total ? Duration.ZERO
                : rate > 0 ? Duration.ofMillis((long) ((total - done) / rate * 1000)) : null;
        return new DownloadProgress(done, total, rate, eta);
    }
}
