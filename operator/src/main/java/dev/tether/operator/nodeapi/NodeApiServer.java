package dev.tether.operator.nodeapi;

import dev.tether.operator.trust.ClusterCa;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node API's HTTPS listener. Nodes reach it through an edge's pass-through port, which relays the
 * TLS stream untouched, so the session ends here and only the operator ever sees a key.
 */
public final class NodeApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeApiServer.class);
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);

    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;
    private final HandlerPools handlers;
    private final Channel listener;

    private NodeApiServer(EventLoopGroup acceptor, EventLoopGroup workers, HandlerPools handlers, Channel listener) {
        this.acceptor = acceptor;
        this.workers = workers;
        this.handlers = handlers;
        this.listener = listener;
    }

    /** Listens on {@code bind} (port 0 for any free port: see {@link #address()}). */
    public static NodeApiServer start(InetSocketAddress bind, ClusterCa ca, NodeApiSettings settings, NodeApiService service)
            throws IOException {
        TrustedEdges edges;
        try {
            edges = TrustedEdges.of(settings.trustedProxies());
        } catch (IllegalArgumentException e) {
            throw new IOException("the node API cannot start: " + e.getMessage(), e);
        }
        var handlers = HandlerPools.start(settings.handlerThreads());
        var tls = new ServerTls(ca, settings.dnsNames(), NodeApiSettings.SERVER_CERTIFICATE_VALIDITY, Clock.systemUTC());
        tls.current();
        // Named, so that a thread dump or a profile tells the node API's TLS and HTTP work from the operator's other I/O.
        EventLoopGroup acceptor = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("node-api-accept", true),
                NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("node-api-io", true),
                NioIoHandler.newFactory());
        try {
            Channel listener = new ServerBootstrap()
                    .group(acceptor, workers)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 256)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new NodeApiInitializer(tls, service, handlers, IDLE_TIMEOUT, settings.requestTimeout(), edges))
                    .bind(bind).sync().channel();
            var server = new NodeApiServer(acceptor, workers, handlers, listener);
            LOG.info("node API listening on {} (TLS, names {}; {})", server.address(), settings.dnsNames(), edges.isEmpty()
                    ? "no trusted edges: every connection is budgeted by its peer's address"
                    : "PROXY protocol v2 required from edges in " + settings.trustedProxies() + ", refused from anyone else");
            return server;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            shutdown(acceptor, workers, handlers);
            throw new IOException("interrupted while binding the node API to " + bind, e);
        } catch (RuntimeException e) {
            shutdown(acceptor, workers, handlers);
            throw new IOException("the node API cannot listen on " + bind + ": " + e.getMessage(), e);
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    @Override
    public void close() {
        listener.close().awaitUninterruptibly();
        shutdown(acceptor, workers, handlers);
    }

    private static void shutdown(EventLoopGroup acceptor, EventLoopGroup workers, HandlerPools handlers) {
        handlers.close();
        acceptor.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
