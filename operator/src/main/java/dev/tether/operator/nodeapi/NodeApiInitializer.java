package dev.tether.operator.nodeapi;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The node API's pipeline, in order:
 * <ol>
 *   <li>{@code proxy}, {@code proxy-client}: the client's address, from a trusted edge's PROXY protocol v2 header or
 *       the peer's own ({@link ProxyProtocolGate}); removed once decided;</li>
 *   <li>{@code tls}: TLS ended here, never at an edge;</li>
 *   <li>{@code idle}: a connection with no traffic either way for the idle timeout is closed
 *       (a slow or stalled client cannot hold a connection open);</li>
 *   <li>{@code http}: request line and headers bounded;</li>
 *   <li>{@code chunked}: a node's archive written to the connection as it is read from the volume;</li>
 *   <li>{@code persistence}: a node's archive upload streamed to the volume, bounded by the node's limit
 *       ({@link PersistenceUploadGate}); every other request passes on;</li>
 *   <li>{@code body}: bodies aggregated up to the node API's limit, larger ones refused;</li>
 *   <li>{@code deadline}: the next whole request must arrive within the request timeout, however slowly its
 *       bytes trickle in (the idle timer is reset by each of them);</li>
 *   <li>{@code api}: one request at a time per connection, answered on the handler threads.</li>
 * </ol>
 */
final class NodeApiInitializer extends ChannelInitializer<SocketChannel> {
    static final int MAX_INITIAL_LINE = 4096;
    static final int MAX_HEADER_SIZE = 8192;

    private final ServerTls tls;
    private final NodeApiService service;
    private final HandlerPools handlers;
    private final Duration idleTimeout;
    private final Duration requestTimeout;
    private final TrustedEdges edges;

    NodeApiInitializer(ServerTls tls, NodeApiService service, HandlerPools handlers, Duration idleTimeout, Duration requestTimeout,
                       TrustedEdges edges) {
        this.edges = edges;
        this.tls = tls;
        this.service = service;
        this.handlers = handlers;
        this.idleTimeout = idleTimeout;
        this.requestTimeout = requestTimeout;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        ProxyProtocolGate.install(ch, edges, service.metrics());
        SslHandler ssl = tls.current().newHandler(ch.alloc());
        long accepted = System.nanoTime();
        ssl.handshakeFuture().addListener(done -> service.timings().handshake(System.nanoTime() - accepted, done.isSuccess()));
        p.addLast("tls", ssl);
        p.addLast("idle", new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS));
        p.addLast("http", new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_INITIAL_LINE)
                .setMaxHeaderSize(MAX_HEADER_SIZE)
                .setMaxChunkSize(16 * 1024)));
        p.addLast("chunked", new ChunkedWriteHandler());
        p.addLast("persistence", new PersistenceUploadGate(service, handlers.writes()));
        p.addLast("body", new BoundedAggregator());
        p.addLast("deadline", new RequestDeadline(requestTimeout));
        p.addLast("api", new NodeApiHandler(service, handlers));
    }
}
