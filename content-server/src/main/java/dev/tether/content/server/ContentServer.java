package dev.tether.content.server;

import dev.tether.content.http.ContentRoutes;
import dev.tether.content.http.ContentServerInitializer;
import dev.tether.content.http.HttpSettings;
import dev.tether.content.metrics.ServerMetrics;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * What the origin and the edge have in common once started: one {@link ServerRuntime} (event loops, listeners,
 * draining shutdown), one set of metrics, and the HTTP listener nodes and edges talk to. Each role assembles its
 * routes and then hands them to {@link #listen}.
 */
public abstract class ContentServer implements AutoCloseable {
    private final ServerRuntime runtime;
    private final ServerMetrics metrics;
    private final InetSocketAddress address;

    protected ContentServer(ServerRuntime runtime, ServerMetrics metrics, InetSocketAddress address) {
        this.runtime = runtime;
        this.metrics = metrics;
        this.address = address;
    }

    /** Opens the role's HTTP(S) listener on {@code bind}, with the shared limits, metrics and connection tracking. */
    protected static InetSocketAddress listen(ServerRuntime runtime, InetSocketAddress bind, SslContext tls, HttpSettings http,
            ContentRoutes routes, ServerMetrics metrics) throws IOException {
        return runtime.listen(bind, new ContentServerInitializer(tls, http, routes, metrics, runtime.connections()));
    }

    /** "https" or "http", for the start-up line. */
    protected static String scheme(SslContext tls) {
        return tls != null ? "https" : "http";
    }

    public int port() {
        return address.getPort();
    }

    public ServerMetrics metrics() {
        return metrics;
    }

    public ServerRuntime runtime() {
        return runtime;
    }

    /** Stops accepting, lets requests in flight finish within {@code grace}, then closes. */
    public void shutdown(Duration grace) {
        runtime.shutdown(grace);
    }

    @Override
    public void close() {
        runtime.shutdown(Duration.ofSeconds(1));
    }
}
