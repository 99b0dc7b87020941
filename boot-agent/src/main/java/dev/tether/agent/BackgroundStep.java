package dev.tether.agent;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A boot step running on a thread of its own beside the steps that follow it ({@link BootTimeline#background}), for
 * work that needs nothing they make. It owns what it makes: {@link #close()} waits for the step and closes its
 * result, so a boot that fails meanwhile undoes it as it undoes a step run in line.
 */
public final class BackgroundStep<T extends Closeable> implements Closeable {
    private final String name;
    private final BootTimeline timeline;
    private final CompletableFuture<T> result = new CompletableFuture<>();
    private volatile long millis;

    BackgroundStep(String name, BootTimeline timeline, BootTimeline.Action<T> action) {
        this.name = name;
        this.timeline = timeline;
        Thread.ofPlatform().daemon().name("boot-" + name).start(() -> {
            long start = System.nanoTime();
            try {
                T made = action.run();
                millis = (System.nanoTime() - start) / 1_000_000;
                result.complete(made);
            } catch (Throwable e) {
                millis = (System.nanoTime() - start) / 1_000_000;
                result.completeExceptionally(e);
            }
        });
    }

    /**
     * Waits for the step and records it in the timeline, at this point of the boot's order and with its own duration
     * (the steps' durations then add up to more than the boot took). A failure comes back as {@link BootTimeline#run}
     * gives it: a {@link BootFailure} naming the step.
     */
    public T join() throws BootFailure {
        try {
            T made = result.join();
            timeline.record(name, millis);
            return made;
        } catch (CompletionException e) {
            timeline.record(name, millis);
            throw BootTimeline.failure(name, e.getCause());
        }
    }

    /** Waits for the step if it still runs, then takes down what it made. */
    @Override
    public void close() throws IOException {
        T made;
        try {
            made = result.join();
        } catch (CompletionException failed) {
            return;
        }
        made.close();
    }
}
