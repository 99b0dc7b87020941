package dev.tether.agent;

import dev.tether.agent.image.DownloadProgress;
import dev.tether.agent.image.FetchSettings;
import dev.tether.agent.image.RootImageMount;
import dev.tether.agent.image.TetheredSettings;
import dev.tether.agent.trace.BootTraceRecording;
import dev.tether.agent.trace.ReadTraceRecorder;
import dev.tether.image.format.ImageKey;
import dev.tether.nodeapi.BootReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** The root image from the edges, through the data plane ({@link RootImageMount}). */
public final class EdgeImageSource implements RootImageSource {
    /** A download's progress is printed this often; a console scrolled full of percentages helps no one. */
    private static final long PROGRESS_INTERVAL_NANOS = 5_000_000_000L;

    @Override
    public MountedImage open(Request request) throws IOException {
        AgentConsole console = request.console();
        ImageKey key = request.key().orElse(null);
        // The boot's read trace starts at the mount: what a re-pack places first (docs/images.md, boot order).
        ReadTraceRecorder reads = request.method() == ImageMethod.TETHERED
                ? new ReadTraceRecorder(System::nanoTime, ReadTraceRecorder.DEFAULT_MAX_READS) : null;
        RootImageMount mount = switch (request.method()) {
            case TETHERED -> {
                TetheredSettings defaults = TetheredSettings.defaults();
                TetheredSettings settings = defaults.withFetch(defaults.fetch().withConsole(console::warn));
                yield request.pin().isPresent()
                        ? RootImageMount.tethered(request.edges(), request.pin().get(), key, request.workDir(), settings,
                                reads)
                        : RootImageMount.tethered(request.edges(), request.rootImageDigest(), key, request.workDir(),
                                settings, reads);
            }
            case UNTETHERED -> {
                FetchSettings settings = FetchSettings.defaults().withConsole(console::warn);
                yield request.pin().isPresent()
                        ? RootImageMount.untethered(request.edges(), request.pin().get(), key, request.workDir(),
                                throttled(console), settings)
                        : RootImageMount.untethered(request.edges(), request.rootImageDigest(), key, request.workDir(),
                                throttled(console), settings);
            }
        };
        return new MountedImage() {
            @Override
            public Path squashfsFile() {
                return mount.squashfsFile();
            }

            @Override
            public boolean servedByThisProcess() {
                return mount.isTethered();
            }

            @Override
            public Optional<BootTraceRecording> readTrace() {
                return reads == null ? Optional.empty()
                        : Optional.of(new BootTraceRecording(reads, mount.plaintext(), System::nanoTime));
            }

            @Override
            public Optional<BootReport.Fetch> fetchStats() {
                return Optional.of(mount.stats());
            }

            @Override
            public void close() throws IOException {
                mount.close();
            }
        };
    }

    private static Consumer<DownloadProgress> throttled(AgentConsole console) {
        AtomicLong lastPrinted = new AtomicLong(System.nanoTime());
        return progress -> {
            long now = System.nanoTime();
            long last = lastPrinted.get();
            if (progress.done() || (now - last >= PROGRESS_INTERVAL_NANOS && lastPrinted.compareAndSet(last, now))) {
                console.info(progress.describe());
            }
        };
    }
}
