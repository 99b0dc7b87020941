package dev.tether.agent.image;

import java.net.http.HttpHeaders;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the head of an answer to {@code Range: bytes=offset-last} before any body is read: it must be a
 * 206 for exactly that range, and say so in one Content-Range (and one Content-Length when present). Anything
 * else, a 200 with the whole blob included, is the edge's failure: a reader must never take bytes it did
 * not ask for as the chunk it asked for.
 */
public final class RangeCheck {
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private RangeCheck() {
    }

    /**
     * @return the total size the edge gave in Content-Range (-1 if it wrote {@code *})
     * @throws EdgeFailure saying what was wrong
     */
    public static long check(int status, HttpHeaders headers, long offset, int length) throws EdgeFailure {
        long last = offset + length - 1;
        if (status != 206) {
            throw new EdgeFailure(switch (status) {
                case 200 -> "answered 200 with the whole blob to a request for bytes " + offset + "-" + last;
                case 404 -> "does not have the root image (404)";
                case 416 -> "says bytes " + offset + "-" + last + " lie outside the root image (416)";
                default -> "answered " + status + " to a range request";
            });
        }
        // A head that frames its body two ways is no answer (RFC 9112, 6.3), whichever value would pass below.
        if (headers.allValues("content-range").size() > 1) {
            throw new EdgeFailure("answered with more than one Content-Range");
        }
        if (headers.allValues("content-length").stream().map(String::trim).distinct().count() > 1) {
            throw new EdgeFailure("answered with more than one Content-Length");
        }
        String contentRange = headers.firstValue("content-range").orElse(null);
        if (contentRange == null) {
            throw new EdgeFailure("answered 206 without a Content-Range");
        }
        Matcher m = CONTENT_RANGE.matcher(contentRange.trim());
        if (!m.matches()) {
            throw new EdgeFailure("answered with an unreadable Content-Range: " + contentRange);
        }
        long first;
        long end;
        long total;
        try {
            first = Long.parseLong(m.group(1));
            end = Long.parseLong(m.group(2));
            total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
        } catch (NumberFormatException e) {
            // Digits past a long's range: the pattern takes any number of them.
            throw new EdgeFailure("answered with an unreadable Content-Range: " + contentRange);
        }
        if (first != offset || end != last) {
            throw new EdgeFailure("answered bytes " + first + "-" + end + " to a request for bytes " + offset + "-" + last);
        }
        OptionalLong contentLength;
        try {
            contentLength = headers.firstValueAsLong("content-length");
        } catch (NumberFormatException e) {
            throw new EdgeFailure("answered with an unreadable Content-Length: " + headers.firstValue("content-length")
                    .orElse(""));
        }
        if (contentLength.isPresent() && contentLength.getAsLong() != length) {
            throw new EdgeFailure("announced " + contentLength.getAsLong() + " bytes for a range of " + length);
        }
        return total;
    }
}
