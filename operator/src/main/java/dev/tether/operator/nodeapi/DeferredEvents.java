package dev.tether.operator.nodeapi;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Events the node API records after it has answered, on a thread of their own: an event is a courtesy (the
 * {@link dev.tether.operator.EventRecorder} already lets one that fails go), nothing a node waits for or relies on, and
 * each is an API server round trip that a boot storm's nodes would otherwise wait behind. Events that say something was
 * refused or issued (a key, a possible theft) are recorded before the answer, as before; only the {@code Booted} events
 * of boot reports, whose content is in {@code status.lastBoot} already, come here. When a storm outruns the API server
 * by more than {@value #BACKLOG} events, the newest are dropped with a warning in the log, never the node's request.
 */
final class DeferredEvents implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeferredEvents.class);
    static final int BACKLOG = 10_000;

    private final ThreadPoolExecutor writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(BACKLOG),
            r -> Thread.ofPlatform().daemon().name("node-api-events").unstarted(r));

    void record(String what, Runnable event) {
        try {
            writer.execute(() -> {
                try {
                    event.run();
                } catch (RuntimeException e) {
                    LOG.warn("could not record the event of {}: {}", what, e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.warn("dropped the event of {}: {} events wait for the API server already", what, BACKLOG);
        }
    }

    /** Records what waits, for a few seconds at most, then stops. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
