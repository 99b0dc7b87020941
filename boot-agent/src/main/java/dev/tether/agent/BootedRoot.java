package dev.tether.agent;

import dev.tether.agent.root.RootLayout;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * What a boot set up, newest first: the overlay, the writable layer, the lower mount, the image. On
 * success it stays up for the image's init; {@link #close()} takes it all down again, in reverse order,
 * which the boot does after a failure and tests do when they are done.
 */
public final class BootedRoot implements Closeable {
    private final Deque<Closeable> opened = new ArrayDeque<>();
    private final List<Runnable> afterHandOver = new ArrayList<>();
    private RootLayout layout;
    private BootTimeline timeline;
    private RootImageSource.MountedImage image;

    <T extends Closeable> T add(T resource) {
        opened.push(resource);
        return resource;
    }

    /**
     * Work for after the root is handed over to the image's init, which does not wait for it (the boot report). It must
     * not throw: the tethered agent serves the root from then on.
     */
    void whenHandedOver(Runnable work) {
        afterHandOver.add(work);
    }

    /**
     * Runs what waits for the hand-over; the caller has told the image's init (the launcher's ready file) that the
     * root is ready.
     */
    public void handOver() {
        afterHandOver.forEach(Runnable::run);
        afterHandOver.clear();
    }

    void finish(RootLayout rootLayout, BootTimeline bootTimeline, RootImageSource.MountedImage mountedImage) {
        this.layout = rootLayout;
        this.timeline = bootTimeline;
        this.image = mountedImage;
    }

    public RootLayout layout() {
        return layout;
    }

    public BootTimeline timeline() {
        return timeline;
    }

    /** The mounted image; a tethered one is served by this process for as long as the node runs. */
    public RootImageSource.MountedImage image() {
        return image;
    }

    /** Closes everything, continuing past failures; the first failure is thrown with the others suppressed. */
    @Override
    public void close() throws IOException {
        IOException first = null;
        while (!opened.isEmpty()) {
            try {
                opened.pop().close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
