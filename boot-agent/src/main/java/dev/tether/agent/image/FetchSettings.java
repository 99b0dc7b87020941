package dev.tether.agent.image;

import java.time.Duration;

/**
 * How chunks are fetched from the edges. Every wait is bounded; only the wait for some edge to come back
 * is not, by design: a diskless root must outlive a server restart.
 *
 * @param connectTimeout  TCP connect to one edge
 * @param requestTimeout  one range request from send to last body byte; longer counts as a stall
 * @param hedgeInitial    hedge delay until enough latencies are known
 * @param hedgeMin        the hedge delay never falls below this
 * @param hedgeMax        the hedge delay never rises above this
 * @param hedgeBudget     the share of requests that may be hedged (see {@link HedgePolicy}), 0 to 1
 * @param backoff         how long a failing edge is set aside
 * @param consoleInterval least time between two "no edge can serve" console messages, and between two
 *                        "damaged copy" messages about the same edge
 * @param console         where those messages go
 */
public record FetchSettings(Duration connectTimeout, Duration requestTimeout, Duration hedgeInitial, Duration hedgeMin,
                            Duration hedgeMax, double hedgeBudget, Backoff backoff, Duration consoleInterval, ConsoleSink console) {

    public static FetchSettings defaults() {
        return new FetchSettings(Duration.ofSeconds(3), Duration.ofSeconds(15), Duration.ofMillis(200),
                Duration.ofMillis(10), Duration.ofSeconds(2), 0.1, new Backoff(Duration.ofMillis(250), Duration.ofSeconds(10)),
                Duration.ofSeconds(5), ConsoleSink.kernelLog());
    }

    public FetchSettings withConsole(ConsoleSink sink) {
        return new FetchSettings(connectTimeout, requestTimeout, hedgeInitial, hedgeMin, hedgeMax, hedgeBudget, backoff,
                consoleInterval, sink);
    }

    public FetchSettings withTimeouts(Duration connect, Duration request) {
        return new FetchSettings(connect, request, hedgeInitial, hedgeMin, hedgeMax, hedgeBudget, backoff, consoleInterval, console);
    }

    public FetchSettings withHedge(Duration initial, Duration min, Duration max) {
        return new FetchSettings(connectTimeout, requestTimeout, initial, min, max, hedgeBudget, backoff, consoleInterval, console);
    }

    public FetchSettings withHedgeBudget(double share) {
        return new FetchSettings(connectTimeout, requestTimeout, hedgeInitial, hedgeMin, hedgeMax, share, backoff,
                consoleInterval, console);
    }

    public FetchSettings withBackoff(Backoff newBackoff) {
        return new FetchSettings(connectTimeout, requestTimeout, hedgeInitial, hedgeMin, hedgeMax, hedgeBudget, newBackoff,
                consoleInterval, console);
    }

    public FetchSettings withConsoleInterval(Duration interval) {
        return new FetchSettings(connectTimeout, requestTimeout, hedgeInitial, hedgeMin, hedgeMax, hedgeBudget, backoff, interval,
                console);
    }
}
