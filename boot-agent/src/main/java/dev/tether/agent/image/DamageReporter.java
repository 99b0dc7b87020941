package dev.tether.agent.image;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Tells the console when an edge sends a range that fails verification, so an administrator learns which
 * edge holds a damaged copy. At most one line per edge per interval: a badly broken edge cannot flood the
 * console, and the next line says how many were left out.
 */
final class DamageReporter {
    private final ConsoleSink console;
    private final long intervalNanos;
    private final String image;
    private final LongSupplier clock;
    private final Map<URI, Quiet> byEdge = new HashMap<>();

    DamageReporter(ConsoleSink console, Duration interval, String image, LongSupplier clock) {
        this.clock = clock;
        this.console = console;
        this.intervalNanos = interval.toNanos();
        this.image = image;
    }

    /** @param otherEdges whether the range can be asked of another edge now, rather than of this one again */
    void damaged(String what, Edge edge, boolean otherEdges) {
        long now = clock.getAsLong();
        long unreported;
        synchronized (this) {
            Quiet quiet = byEdge.get(edge.base());
            if (quiet != null && now - quiet.sinceNanos < intervalNanos) {
                quiet.unreported++;
                return;
            }
            unreported = quiet == null ? 0 : quiet.unreported;
            byEdge.put(edge.base(), new Quiet(now));
        }
        console.message(what + " of root image " + image + " from " + edge + " failed verification (damaged on that"
                + " edge or on the way); " + (otherEdges ? "reading it from another edge" : "reading it again")
                + (unreported == 0 ? "" : " (" + unreported + " more damaged from this edge since the last such line)"));
    }

    private static final class Quiet {
        final long sinceNanos;
        long unreported;

        Quiet(long sinceNanos) {
            this.sinceNanos = sinceNanos;
        }
    }
}
