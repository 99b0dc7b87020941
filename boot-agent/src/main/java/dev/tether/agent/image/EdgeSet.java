package dev.tether.agent.image;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The edges a node reads its root image from, and their health. Requests go to the edge with the fewest
 * requests in flight, counted when the edge is claimed for one (so requests claimed at once go to different edges);
 * ties rotate by a key (the chunk index), so a sequential read spreads over all edges.
 * An edge that fails is set aside with exponential backoff; when its time is up it gets real requests
 * again, and one success makes it healthy. The list is replaceable: a refresh from the node API adds
 * edges and drops others, keeping the health of those that stay.
 */
public final class EdgeSet {
    private final Backoff backoff;
    private final LongSupplier nanoClock;
    private final Object lock = new Object();
    private List<Edge> edges;

    public EdgeSet(List<URI> bases, Backoff backoff, LongSupplier nanoClock) {
        this.backoff = backoff;
        this.nanoClock = nanoClock;
        this.edges = List.of();
        replace(bases);
    }

    public EdgeSet(List<URI> bases, Backoff backoff) {
        this(bases, backoff, System::nanoTime);
    }

    /** Uses the new list from now on; edges in both lists keep their health and in-flight counts. */
    public void replace(List<URI> bases) {
        if (bases.isEmpty()) {
            throw new IllegalArgumentException("a root image needs at least one edge to read from");
        }
        synchronized (lock) {
            Map<URI, Edge> kept = new LinkedHashMap<>();
            for (Edge edge : edges) {
                kept.put(edge.base(), edge);
            }
            List<Edge> next = new ArrayList<>();
            for (URI base : bases) {
                URI normal = Edge.normalise(base);
                if (next.stream().noneMatch(e -> e.base().equals(normal))) {
                    next.add(kept.containsKey(normal) ? kept.get(normal) : new Edge(normal));
                }
            }
            edges = List.copyOf(next);
        }
    }

    public List<Edge> edges() {
        synchronized (lock) {
            return edges;
        }
    }

    /**
     * The edge to ask next, with the request counted in flight on it (the caller ends it with {@link Edge#finished()}),
     * or null when every edge not in {@code exclude} is set aside. Choosing and counting are one step: the runs of one
     * read are fetched on several threads at once, and when each chose first and counted later they all found the
     * same edge least busy (their keys a multiple of the edge count apart, as runs of three chunks are from three
     * edges), and a read could wait for one edge's link instead of three. (On the data-plane bench's two cores the
     * race was seldom lost: no change measured there.)
     *
     * @param key spreads ties: consecutive keys start the search at consecutive edges
     */
    public Edge claim(long key, Collection<Edge> exclude) {
        synchronized (lock) {
            long now = nanoClock.getAsLong();
            int n = edges.size();
            int start = (int) Math.floorMod(key, (long) n);
            Edge best = null;
            for (int i = 0; i < n; i++) {
                Edge edge = edges.get((start + i) % n);
                if (exclude.contains(edge) || edge.setAsideUntilNanos - now > 0) {
                    continue;
                }
                if (best == null || edge.inFlight() < best.inFlight()) {
                    best = edge;
                }
            }
            if (best != null) {
                best.started();
            }
            return best;
        }
    }

    /** Sets the edge aside for the backoff its run of failures has earned. */
    public void failed(Edge edge, String problem) {
        synchronized (lock) {
            edge.consecutiveFailures++;
            edge.setAsideUntilNanos = nanoClock.getAsLong() + backoff.delayNanos(edge.consecutiveFailures);
            edge.lastProblem = problem;
        }
    }

    public void succeeded(Edge edge) {
        synchronized (lock) {
            edge.consecutiveFailures = 0;
            edge.setAsideUntilNanos = nanoClock.getAsLong();
        }
    }

    /** {@link #succeeded(Edge)}, and the answer took {@code latencyNanos}: kept as a moving average (weight 1/8). */
    public void succeeded(Edge edge, long latencyNanos) {
        synchronized (lock) {
            succeeded(edge);
            edge.latencyNanos = edge.latencyNanos < 0 ? latencyNanos : edge.latencyNanos + (latencyNanos - edge.latencyNanos) / 8;
        }
    }

    /** Whether the edge's recent answers took {@code nanos} or longer on average (false while none is known). */
    public boolean slowerThan(Edge edge, long nanos) {
        synchronized (lock) {
            return edge.latencyNanos >= nanos;
        }
    }

    /** The clock this set judges time by; the fetcher and its reporters use it too. */
    public LongSupplier nanoClock() {
        return nanoClock;
    }

    public boolean isSetAside(Edge edge) {
        synchronized (lock) {
            return edge.setAsideUntilNanos - nanoClock.getAsLong() > 0;
        }
    }

    /** Nanoseconds until the first set-aside edge may be tried again; 0 if one is available now. */
    public long nanosUntilNextAvailable() {
        synchronized (lock) {
            long now = nanoClock.getAsLong();
            long soonest = Long.MAX_VALUE;
            for (Edge edge : edges) {
                soonest = Math.min(soonest, Math.max(0, edge.setAsideUntilNanos - now));
            }
            return soonest;
        }
    }

    /** Every edge with its last problem, for a console message: {@code http://a (connection refused), ...}. */
    public String describe() {
        synchronized (lock) {
            List<String> parts = new ArrayList<>();
            for (Edge edge : edges) {
                parts.add(edge.lastProblem == null ? edge.toString() : edge + " (" + edge.lastProblem + ")");
            }
            return String.join(", ", parts);
        }
    }
}
