package dev.tether.operator.nodeapi;

import dev.tether.nodeapi.NodeApi;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;

/**
 * Collects a request body of at most {@link NodeApi#MAX_BODY_BYTES}. A larger one (by its Content-Length,
 * or as soon as a chunked one grows past the limit) is not read further: the handler answers 413 with an
 * {@code ApiError} and closes the connection, instead of Netty's bare 413.
 */
final class BoundedAggregator extends HttpObjectAggregator {
    BoundedAggregator() {
        super(NodeApi.MAX_BODY_BYTES, true);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        if (oversized instanceof HttpRequest request) {
            ctx.pipeline().get(NodeApiHandler.class).oversized(ctx, request);
        } else {
            ctx.close();
        }
    }
}
