package dev.tether.content.http;

import io.netty.handler.codec.http.HttpContent;

/**
 * Receives a request body as it streams in. The router releases each chunk after {@link #content}
 * returns, so a sink copies or writes what it keeps before returning.
 */
public interface BodySink {

    /** Reads and drops a body nobody asked for, so the connection can carry the next request. */
    BodySink DISCARD = new BodySink() {
    };

    default void content(Exchange exchange, HttpContent chunk) {
    }

    /** The last chunk has been passed to {@link #content}. */
    default void end(Exchange exchange) {
    }

    /** The connection closed before the body was complete. */
    default void abort(Exchange exchange) {
    }
}
