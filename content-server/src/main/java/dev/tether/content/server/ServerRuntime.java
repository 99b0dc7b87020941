package dev.tether.content.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event loops and listening sockets of one server process, and its graceful shutdown: stop
 * accepting, let in-flight responses finish within the grace period, then close everything.
 */
public final class ServerRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServerRuntime.class);

    private final Transport transport;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final ConnectionTracker connections = new ConnectionTracker();
    private final List<Channel> listeners = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> closeAfterDrain = new CopyOnWriteArrayList<>();
    private volatile boolean draining;
    private volatile boolean closed;

    /** @param ioThreads event loops serving connections; 0 for one per core */
    public ServerRuntime(int ioThreads) {
        this.transport = Transport.best();
        this.acceptors = transport.newGroup(1);
        this.workers = transport.newGroup(ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors());
    }

    public Transport transport() {
        return transport;
    }

    public EventLoopGroup workers() {
        return workers;
    }

    public ConnectionTracker connections() {
        return connections;
    }

    public boolean draining() {
        return draining;
    }

    /** Also closed on shutdown, after the connections drained (caches, watchers, executors). */
    public void closeOnShutdown(AutoCloseable resource) {
        closeAfterDrain.add(resource);
    }

    public InetSocketAddress listen(InetSocketAddress address, ChannelHandler initializer) throws IOException {
        return listen(address, initializer, 0);
    }

    /**
     * @param listenerTos the IP TOS of the listening socket's own packets (its SYN-ACKs, see
     *                    {@link Transport#markListener}); 0 leaves the system's
     */
    public InetSocketAddress listen(InetSocketAddress address, ChannelHandler initializer, int listenerTos)
            throws IOException {
        ServerBootstrap b = new ServerBootstrap()
                .group(acceptors, workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(initializer);
        try {
            Channel ch = b.bind(address).sync().channel();
            listeners.add(ch);
            if (listenerTos != 0 && !Transport.markListener(ch, listenerTos)) {
                log.warn("the {} transport cannot mark {}'s SYN-ACKs with IP TOS 0x{}: a new connection's first answer"
                        + " queues with the bulk bytes", transport.name(), address, Integer.toHexString(listenerTos));
            }
            return (InetSocketAddress) ch.localAddress();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding " + address, e);
        } catch (Exception e) {
            throw new IOException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
    }

    /** Stops accepting, drains within {@code grace}, then releases everything. Idempotent. */
    public synchronized void shutdown(Duration grace) {
        if (closed) {
            return;
        }
        draining = true;
        for (Channel l : listeners) {
            l.close().awaitUninterruptibly();
        }
        try {
            if (!connections.drain(grace)) {
                log.warn("grace period of {} s ended with responses still in flight; they were cut", grace.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (AutoCloseable r : closeAfterDrain) {
            try {
                r.close();
            } catch (Exception e) {
                log.warn("closing {} failed: {}", r, e.toString());
            }
        }
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        closed = true;
        notifyAll();
    }

    public synchronized void awaitShutdown() throws InterruptedException {
        while (!closed) {
            wait();
        }
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
