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
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.Inet4Address;
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
 *
 * <p>With the PROXY protocol on, the first bytes the node API receives are a PROXY protocol v2 header naming
 * the node's address, then the node's bytes untouched: the node API budgets refusals by the node's own
 * address, not by the edge's, so nodes behind one edge cannot spend each other's budget. The node API
 * accepts that header only from addresses it trusts as edges.
 *
 * <p>Both of the edge's sockets of a relay are marked low-delay (IP TOS {@code IPTOS_LOWDELAY}): a node API answer is a
 * few packets a booting node waits on, and shares the edge's link with the image bytes it sends to every other node.
 * Linux's default queue (pfifo_fast, which a host has when nothing sets fq_codel) sends low-delay packets first, and
 * a site's switches may do the same; without the mark, a boot storm's bulk downloads held the answers behind a full
 * queue (issue #15). So is the listening socket (the edge listens with {@link #LOW_DELAY}): its SYN-ACK is a new
 * connection's first answer, which a node's every new connection (its first call, and one after the node API closed
 * an idle one, as before the boot report of a long boot) would otherwise wait for behind the bulk bytes. The storm on
 * this project's two-core machine could not show the difference (docs/scale.md); a full link would.
 */
public final class NodeApiPassThrough extends ChannelInitializer<SocketChannel> {
    private static final Logger log = LoggerFactory.getLogger(NodeApiPassThrough.class);
    /** IPTOS_LOWDELAY: the TOS bits Linux maps to its interactive priority, the first band of pfifo_fast. */
    public static final int LOW_DELAY = 0x10;

    private final InetSocketAddress target;
    private final Transport transport;
    private final Duration connectTimeout;
    private final Duration idleTimeout;
    private final ServerMetrics metrics;
    private final ConnectionTracker connections;
    private final boolean proxyProtocol;

    /** @param proxyProtocol whether to send the node's address first, as a PROXY protocol v2 header */
    public NodeApiPassThrough(InetSocketAddress target, Transport transport, Duration connectTimeout, Duration idleTimeout,
                              ServerMetrics metrics, ConnectionTracker connections, boolean proxyProtocol) {
        this.proxyProtocol = proxyProtocol;
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
        node.config().setOption(ChannelOption.IP_TOS, LOW_DELAY);
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
                .option(ChannelOption.IP_TOS, LOW_DELAY)
                .option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel api) {
                        if (proxyProtocol) {
                            api.pipeline().addLast("proxy", HAProxyMessageEncoder.INSTANCE);
                        }
                        api.pipeline().addLast("relay", new Relay(node));
                    }
                });
        b.connect(target).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                log.warn("node API {} unreachable for {}: {}", target, node.remoteAddress(), f.cause().getMessage());
                node.close();
                return;
            }
            Channel api = f.channel();
            if (!node.isActive()) {
                // The node left while the edge was connecting: nothing to relay, and no address to name.
                api.close();
                return;
            }
            if (proxyProtocol) {
                // Written before the node's first byte is read, so it is the first thing the node API receives.
                api.writeAndFlush(header((InetSocketAddress) node.remoteAddress(), (InetSocketAddress) node.localAddress()));
            }
            node.pipeline().addLast("relay", new Relay(api));
            node.config().setAutoRead(true);
            api.config().setAutoRead(true);
        });
    }

    /**
     * The node's address and the one it dialled. Both must be of one family in the header; a node seen as IPv4 on an
     * IPv6 listener keeps its own address, and the destination (which the node API does not use) becomes unspecified.
     */
    static HAProxyMessage header(InetSocketAddress node, InetSocketAddress dialled) {
        boolean v4 = node.getAddress() instanceof Inet4Address;
        String destination = dialled.getAddress() instanceof Inet4Address == v4 ? dialled.getAddress().getHostAddress()
                : v4 ? "0.0.0.0" : "::";
        return new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY,
                v4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6,
                node.getAddress().getHostAddress(), destination, node.getPort(), dialled.getPort());
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
