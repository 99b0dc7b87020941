package dev.tether.content.http;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.io.ByteArrayOutputStream;
import java.util.function.BiConsumer;

/**
 * Collects a small request body (a JSON document) up to a limit; a larger one is refused with 413
 * before it is read, or as soon as it grows past the limit when it came without a length.
 */
public final class SmallBody implements BodySink {
    private final int limit;
    private final BiConsumer<Exchange, byte[]> onBody;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private boolean refused;

    private SmallBody(int limit, BiConsumer<Exchange, byte[]> onBody) {
        this.limit = limit;
        this.onBody = onBody;
    }

    /** Reads the body of {@code x} and passes it to {@code onBody}, or answers 413. */
    public static void read(Exchange x, int limit, BiConsumer<Exchange, byte[]> onBody) {
        if (HttpUtil.getContentLength(x.request(), 0L) > limit) {
            x.closeAfterResponse();
            x.respond(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "the body may have at most " + limit + " bytes");
            return;
        }
        x.receiveBody(new SmallBody(limit, onBody));
    }

    @Override
    public void content(Exchange x, HttpContent chunk) {
        if (refused) {
            return;
        }
        int n = chunk.content().readableBytes();
        if (bytes.size() + n > limit) {
            refused = true;
            x.closeAfterResponse();
            x.respond(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "the body may have at most " + limit + " bytes");
            return;
        }
        byte[] part = new byte[n];
        chunk.content().getBytes(chunk.content().readerIndex(), part);
        bytes.writeBytes(part);
    }

    @Override
    public void end(Exchange x) {
        if (!refused) {
            onBody.accept(x, bytes.toByteArray());
        }
    }
}
