package dev.tether.operator.nodeapi;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who a connection is for: the client's address as an edge names it, or the peer itself. The first handlers of
 * the pipeline, removed once they have decided.
 * <ul>
 *   <li>A peer in {@link TrustedEdges} must send a PROXY protocol v2 header ({@code PROXY} command, TCP over IPv4 or
 *       IPv6) before anything else; the header's source address becomes the connection's {@link #CLIENT}. Anything
 *       else from such a peer (no header, protocol v1, {@code LOCAL}) is refused, so an edge that forgot it cannot
 *       make every node behind it one address again.</li>
 *   <li>Any other peer is its own client, and a PROXY header from it is refused: whoever may name the client's
 *       address could spend any address's failure budget.</li>
 * </ul>
 * A refused connection is closed before TLS, counted ({@code tether.nodeapi.proxy.refused}) and logged; the request
 * deadline, armed at the connection's start, bounds how long a header may take.
 */
final class ProxyProtocolGate {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyProtocolGate.class);

    /** The client's address for the failure budgets and the audit: the edge's word for it, or the peer's own. */
    static final AttributeKey<String> CLIENT = AttributeKey.valueOf("tether.nodeapi.client");

    /** PROXY v2 headers start with CR; v1 headers with "PROXY". A TLS record starts with 0x16, so neither is TLS. */
    private static final int V2_FIRST_BYTE = 0x0D;
    private static final int V1_FIRST_BYTE = 'P';

    private ProxyProtocolGate() {
    }

    static void install(SocketChannel ch, TrustedEdges edges, MeterRegistry metrics) {
        ChannelPipeline p = ch.pipeline();
        String peer = address(ch);
        if (edges.trusts(ch.remoteAddress())) {
            p.addLast("proxy", new HAProxyMessageDecoder());
            p.addLast("proxy-client", new FromEdge(peer, metrics));
        } else {
            ch.attr(CLIENT).set(peer);
            p.addLast("proxy-client", new Direct(peer, metrics));
        }
    }

    private static String address(SocketChannel ch) {
        var remote = ch.remoteAddress();
        return remote != null && remote.getAddress() != null ? remote.getAddress().getHostAddress() : String.valueOf(remote);
    }

    private static void refuse(ChannelHandlerContext ctx, MeterRegistry metrics, String reason, String message, Object... args) {
        Counter.builder("tether.nodeapi.proxy.refused")
                .description("Node API connections refused for their PROXY protocol header (or its absence), by reason")
                .tag("reason", reason)
                .register(metrics)
                .increment();
        LOG.warn(message, args);
        ctx.close();
    }

    /** A trusted edge: the header first, then the node's TLS bytes. */
    private static final class FromEdge extends ChannelInboundHandlerAdapter {
        private final String edge;
        private final MeterRegistry metrics;

        FromEdge(String edge, MeterRegistry metrics) {
            this.edge = edge;
            this.metrics = metrics;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof HAProxyMessage header)) {
                ReferenceCountUtil.release(msg);
                refuse(ctx, metrics, "missing", "node API connection from edge {} did not start with a PROXY protocol v2 header;"
                        + " closed (run the edge with --node-api-proxy-protocol, or take its address out of trustedProxies)", edge);
                return;
            }
            try {
                String client = client(header);
                if (client == null) {
                    refuse(ctx, metrics, "unusable", "node API connection from edge {} sent a PROXY header that names no TCP client"
                            + " (version {}, command {}, protocol {}); closed: only v2 PROXY headers for TCP are accepted", edge,
                            header.protocolVersion(), header.command(), header.proxiedProtocol());
                    return;
                }
                ctx.channel().attr(CLIENT).set(client);
                ctx.pipeline().remove(this);
            } finally {
                header.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // The decoder's verdict on bytes that are no PROXY header.
            refuse(ctx, metrics, "malformed", "node API connection from edge {} did not start with a valid PROXY protocol header"
                    + " ({}); closed", edge, cause.getMessage());
        }

        private static String client(HAProxyMessage header) {
            if (header.protocolVersion() != HAProxyProtocolVersion.V2 || header.command() != HAProxyCommand.PROXY
                    || (header.proxiedProtocol() != HAProxyProxiedProtocol.TCP4 && header.proxiedProtocol() != HAProxyProxiedProtocol.TCP6)
                    || header.sourceAddress() == null) {
                return null;
            }
            try {
                // A v2 header carries the address in binary, which the decoder turned into a literal: no lookup happens.
                return InetAddress.getByName(header.sourceAddress()).getHostAddress();
            } catch (UnknownHostException e) {
                return null;
            }
        }
    }

    /** Any other peer: refused if it speaks the PROXY protocol, passed on untouched otherwise. */
    private static final class Direct extends ChannelInboundHandlerAdapter {
        private final String peer;
        private final MeterRegistry metrics;

        Direct(String peer, MeterRegistry metrics) {
            this.peer = peer;
            this.metrics = metrics;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf bytes && bytes.isReadable()) {
                int first = bytes.getUnsignedByte(bytes.readerIndex());
                if (first == V2_FIRST_BYTE || first == V1_FIRST_BYTE) {
                    bytes.release();
                    refuse(ctx, metrics, "untrusted", "node API connection from {} sent a PROXY protocol header, but {} is not a"
                            + " trusted edge; closed (if it is an edge, add its address to the chart's nodeApi.trustedProxies)", peer, peer);
                    return;
                }
                ctx.pipeline().remove(this);
            }
            ctx.fireChannelRead(msg);
        }
    }
}
