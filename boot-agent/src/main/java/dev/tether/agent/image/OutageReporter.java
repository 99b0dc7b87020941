package dev.tether.agent.image;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Tells the console when reads of the root image wait because no edge can serve them, at most once per
 * interval however many reads wait, and once when reads flow again.
 */
final class OutageReporter {
    private final ConsoleSink console;
    private final long intervalNanos;
    private final String image;
    private final LongSupplier clock;
    private long lastMessageNanos;
    private long outageStartNanos;
    private boolean inOutage;

    OutageReporter(ConsoleSink console, Duration interval, String image, LongSupplier clock) {
        this.clock = clock;
        this.console = console;
        this.intervalNanos = interval.toNanos();
        this.image = image;
    }

    synchronized void waiting(String what, String edgesTried, long retryNanos) {
        long now = clock.getAsLong();
        if (!inOutage) {
            inOutage = true;
            outageStartNanos = now;
        } else if (now - lastMessageNanos < intervalNanos) {
            return;
        }
        lastMessageNanos = now;
        console.message("cannot read " + what + " of root image " + image + ": no edge can serve it (tried "
                + edgesTried + "); retrying in " + formatMillis(TimeUnit.NANOSECONDS.toMillis(retryNanos))
                + ". Reads wait until an edge answers; nothing fails meanwhile.");
    }

    synchronized void served(Edge edge) {
        if (inOutage) {
            inOutage = false;
            console.message("root image " + image + " reads resumed from " + edge + " after "
                    + formatMillis(TimeUnit.NANOSECONDS.toMillis(clock.getAsLong() - outageStartNanos)) + " of waiting");
        }
    }

    private static String formatMillis(long millis) {
        return millis < 1000 ? millis + " ms" : String.format("%.1f s", millis / 1000.0);
    }
}
