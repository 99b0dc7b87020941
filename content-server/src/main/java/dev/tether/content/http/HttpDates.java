package dev.tether.content.http;

import io.netty.handler.codec.DateFormatter;
import java.util.Date;

/** The {@code Date} header value, formatted at most once per second rather than per response. */
final class HttpDates {
    private record Cached(long second, String text) {
    }

    private static volatile Cached cached = new Cached(-1, "");

    private HttpDates() {
    }

    static String now() {
        long ms = System.currentTimeMillis();
        long second = ms / 1000;
        Cached c = cached;
        if (c.second != second) {
            c = new Cached(second, DateFormatter.format(new Date(second * 1000)));
            cached = c;
        }
        return c.text;
    }
}
