package dev.tether.content.http;

import dev.tether.content.metrics.ServerMetrics;
import dev.tether.content.server.ConnectionTracker;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The whole HTTP pipeline of both roles, in order:
 * <ol>
 *   <li>{@code tls} (optional): TLS with the cluster CA's certificate;</li>
 *   <li>{@code http}: request decoding with bounded request line and headers, response encoding.
 *       No aggregator: uploads stream to disk, and downloads need none;</li>
 *   <li>{@code send-timeout}: notices a response that made no progress (a client that stopped
 *       reading) so the router can cut it;</li>
 *   <li>{@code chunked}: streams bodies that must pass through the JVM (TLS, fills in progress);
 *       plain file regions pass it untouched to sendfile;</li>
 *   <li>{@code router}: one {@link Exchange} at a time, with the request-head and body timeouts.</li>
 * </ol>
 */
public final class ContentServerInitializer extends ChannelInitializer<SocketChannel> {
    /** Body chunks handed to an upload at most this large: bounded memory per connection. */
    private static final int MAX_CHUNK = 64 * 1024;

    private final SslContext tls;
    private final HttpSettings settings;
    private final Routes routes;
    private final ServerMetrics metrics;
    private final ConnectionTracker connections;

    public ContentServerInitializer(SslContext tls, HttpSettings settings, Routes routes, ServerMetrics metrics,
                                    ConnectionTracker connections) {
        this.tls = tls;
        this.settings = settings;
        this.routes = routes;
        this.metrics = metrics;
        this.connections = connections;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        connections.add(ch);
        ChannelPipeline p = ch.pipeline();
        if (tls != null) {
            p.addLast("tls", tls.newHandler(ch.alloc()));
        }
        p.addLast("http", new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(settings.maxInitialLineLength())
                .setMaxHeaderSize(settings.maxHeaderSize())
                .setMaxChunkSize(MAX_CHUNK)));
        p.addLast("send-timeout", new IdleStateHandler(true, 0, settings.sendTimeout().toMillis(), 0, TimeUnit.MILLISECONDS));
        p.addLast("chunked", new ChunkedWriteHandler());
        p.addLast("router", new RequestRouter(routes, settings, metrics, tls != null));
    }
}
