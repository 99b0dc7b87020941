package dev.tether.content.http;

import java.time.Duration;

/**
 * Limits and timeouts of the HTTP listener. Every one bounds something a client controls.
 *
 * @param maxInitialLineLength longest request line (method, URI, version)
 * @param maxHeaderSize        all header lines together
 * @param requestHeadTimeout   from the end of one exchange (or the connection's start) until the next
 *                             request's head is complete: the slowloris bound and the keep-alive timeout
 * @param bodyTimeout          longest pause between two chunks of a request body
 * @param sendTimeout          longest pause in the progress of a response (a reader that stopped reading)
 * @param maxUploadBytes       largest PUT body accepted
 */
public record HttpSettings(int maxInitialLineLength, int maxHeaderSize, Duration requestHeadTimeout,
                           Duration bodyTimeout, Duration sendTimeout, long maxUploadBytes) {

    public static HttpSettings defaults() {
        return new HttpSettings(8192, 16384, Duration.ofSeconds(30), Duration.ofSeconds(30),
                Duration.ofSeconds(60), 64L << 30);
    }

    public HttpSettings withTimeouts(Duration head, Duration body, Duration send) {
        return new HttpSettings(maxInitialLineLength, maxHeaderSize, head, body, send, maxUploadBytes);
    }

    public HttpSettings withMaxUploadBytes(long bytes) {
        return new HttpSettings(maxInitialLineLength, maxHeaderSize, requestHeadTimeout, bodyTimeout, sendTimeout, bytes);
    }
}
