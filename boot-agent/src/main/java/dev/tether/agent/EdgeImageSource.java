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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/** The root image from the edges, through the data plane ({@link RootImageMount}). */
public final class EdgeImageSource implements RootImageSource {
    /** A download's progress is printed this often; a console scrolled full of percentages helps no one. */
    private static final long PROGRESS_INTERVAL_NANOS = 5_000_000_000L;
    /** A copy into RAM behind the running node prints its progress on the node's console this seldom. */
    private static final long BACKGROUND_PROGRESS_INTERVAL_NANOS = 30_000_000_000L;

    @Override
    public MountedImage open(Request request) throws IOException {
        AgentConsole console = request.console();
        ImageKey key = request.key().orElse(null);
        // The boot's read trace starts at the mount: what a re-pack places first (docs/images.md, boot order).
        ReadTraceRecorder reads = request.method() == ImageMethod.TETHERED
                ? new ReadTraceRecorder(System::nanoTime, ReadTraceRecorder.DEFAULT_MAX_READS) : null;
        RootImageMount mount = switch (request.method()) {
            case TETHERED -> {
                TetheredSettings settings = tetheredSettings(console);
                yield request.pin().isPresent()
                        ? RootImageMount.tethered(request.edges(), request.pin().get(), key, request.workDir(), settings,
                                reads)
                        : RootImageMount.tethered(request.edges(), request.rootImageDigest(), key, request.workDir(),
                                settings, reads);
            }
            // With the manifest's pins the node boots while the image is copied into RAM behind it; without them the
            // copy must be whole, and held to the image's digest, before the boot goes on.
            case UNTETHERED -> request.pin().isPresent()
                    ? RootImageMount.untetheredServedUntilInRam(request.edges(), request.pin().get(), key,
                            request.workDir(), tetheredSettings(console))
                    : RootImageMount.untethered(request.edges(), request.rootImageDigest(), key, request.workDir(),
                            throttled(console), FetchSettings.defaults().withConsole(console::warn));
        };
        return new MountedImage() {
            @Override
            public Path squashfsFile() {
                return mount.squashfsFile();
            }

            @Override
            public boolean servedByThisProcess() {
                return mount.servedByThisProcess();
            }

            @Override
            public boolean fillsRam() {
                return mount.fillsRam();
            }

            @Override
            public Path fillRam() throws IOException {
                // Behind the running node, whose console is the user's now: seldom, counted from the copy's start, and
                // the end is the boot's to tell.
                AtomicReference<Consumer<DownloadProgress>> every = new AtomicReference<>(progress -> { });
                return mount.fillRam(wait -> {
                    console.info("copying the root image into RAM behind the running node, "
                            + wait.toMillis() / 100 / 10.0 + "s after the hand-over");
                    every.set(throttled(line -> console.info("copying into RAM, " + line),
                            BACKGROUND_PROGRESS_INTERVAL_NANOS));
                }, progress -> {
                    if (!progress.done()) {
                        every.get().accept(progress);
                    }
                });
            }

            @Override
            public void stopServing() throws IOException {
                mount.stopServing();
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

    private static TetheredSettings tetheredSettings(AgentConsole console) {
        TetheredSettings defaults = TetheredSettings.defaults();
        return defaults.withFetch(defaults.fetch().withConsole(console::warn));
    }

    private static Consumer<DownloadProgress> throttled(AgentConsole console) {
        return throttled(console::info, PROGRESS_INTERVAL_NANOS);
    }

    private static Consumer<DownloadProgress> throttled(Consumer<String> print, long intervalNanos) {
        AtomicLong lastPrinted = new AtomicLong(System.nanoTime());
        return progress -> {
            long now = System.nanoTime();
            long last = lastPrinted.get();
            if (progress.done() || (now - last >= intervalNanos && lastPrinted.compareAndSet(last, now))) {
                print.accept(progress.describe());
            }
        };
    }
}
