package dev.tether.content.nodeapi;

import dev.tether.content.metrics.ServerMetrics;
import dev.tether.content.server.ConnectionTracker;
import dev.tether.content.server.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's node API port: every connection is relayed byte for byte to the operator's node API,
 * so the node's TLS session ends at the operator and the edge never holds a key or sees a secret.
 *
 * <p>Both sides of a relay run on the same event loop. Backpressure: when one side cannot take
 * more, the other side stops reading until it can. Either side closing closes the other once what
 * was already read has been written.
 */
public final class NodeApiPassThrough extends ChannelInitializer<SocketChannel> {
    private static final Logger log = LoggerFactory.getLogger(NodeApiPassThrough.class);

    private final InetSocketAddress target;
    private final Transport transport;
    private final Duration connectTimeout;
    private final Duration idleTimeout;
    private final ServerMetrics metrics;
    private final ConnectionTracker connections;

    public NodeApiPassThrough(InetSocketAddress target, Transport transport, Duration connectTimeout, Duration idleTimeout,
                              ServerMetrics metrics, ConnectionTracker connections) {
        this.target = target;
        this.transport = transport;
        this.connectTimeout = connectTimeout;
        this.idleTimeout = idleTimeout;
        this.metrics = metrics;
        this.connections = connections;
    }

    @Override
    protected void initChannel(SocketChannel node) {
        connections.add(node);
        node.config().setAutoRead(false);
        node.pipeline().addLast("idle", new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS));
        node.pipeline().addLast("connect", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                metrics.passThroughOpened();
                connect(ctx.channel());
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                metrics.passThroughClosed();
                ctx.fireChannelInactive();
            }
        });
    }

    private void connect(Channel node) {
        Bootstrap b = new Bootstrap()
                .group(node.eventLoop())
                .channel(transport.clientChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .handler(new Relay(node));
        b.connect(target).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                log.warn("node API {} unreachable for {}: {}", target, node.remoteAddress(), f.cause().getMessage());
                node.close();
                return;
            }
            Channel api = f.channel();
            node.pipeline().addLast("relay", new Relay(api));
            node.config().setAutoRead(true);
            api.config().setAutoRead(true);
        });
    }

    /** Copies what one channel reads to its peer. */
    private static final class Relay extends ChannelInboundHandlerAdapter {
        private final Channel peer;

        Relay(Channel peer) {
            this.peer = peer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            peer.write(msg);
            if (!peer.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            peer.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // This side drained its backlog: the peer may read (and hand us) more again.
            peer.config().setAutoRead(ctx.channel().isWritable());
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closeAfterFlush(peer);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent || evt == ConnectionTracker.DRAIN) {
                ctx.close();
                closeAfterFlush(peer);
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("node API relay {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }

        private static void closeAfterFlush(Channel ch) {
            if (ch.isActive()) {
                ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
