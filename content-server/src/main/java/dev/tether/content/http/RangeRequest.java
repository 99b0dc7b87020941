package dev.tether.content.http;

import java.util.ArrayList;
import java.util.List;

/**
 * What a {@code Range} header (RFC 9110 §14.2) asks of a representation of a known length.
 *
 * <p>Where the RFC leaves a choice this follows nginx, so that nodes see the same answers from an
 * edge as from an nginx mirror: a range unit other than {@code bytes} is ignored (200); a
 * syntactically broken byte range set is answered with 416; ranges that start past the end are
 * dropped and, if none remains, the answer is 416; more than {@link #MAX_RANGES} ranges, or ranges
 * that add up to more than the whole representation (overlap used to amplify), are ignored (200).
 */
public final class RangeRequest {

    /** Beyond this many ranges the header is ignored, as nginx does with {@code max_ranges}. */
    public static final int MAX_RANGES = 64;

    public enum Kind { FULL, PARTIAL, UNSATISFIABLE }

    /** An inclusive byte range, {@code first..last}, within the representation. */
    public record ByteRange(long first, long last) {
        public long length() {
            return last - first + 1;
        }

        public String contentRange(long size) {
            return "bytes " + first + "-" + last + "/" + size;
        }
    }

    private static final RangeRequest FULL = new RangeRequest(Kind.FULL, List.of());
    private static final RangeRequest UNSATISFIABLE = new RangeRequest(Kind.UNSATISFIABLE, List.of());

    private final Kind kind;
    private final List<ByteRange> ranges;

    private RangeRequest(Kind kind, List<ByteRange> ranges) {
        this.kind = kind;
        this.ranges = ranges;
    }

    public Kind kind() {
        return kind;
    }

    /** The satisfiable ranges, in the order asked; one for a single-part 206, more for multipart. */
    public List<ByteRange> ranges() {
        return ranges;
    }

    /**
     * Evaluates the request's {@code Range} and {@code If-Range} against a representation.
     *
     * @param ifRange the If-Range value, or null; only an exact strong ETag match keeps the range
     *                (an HTTP-date never matches: blobs carry no Last-Modified)
     */
    public static RangeRequest evaluate(String range, String ifRange, String etag, long size) {
        if (range == null) {
            return FULL;
        }
        if (ifRange != null && (etag == null || !ifRange.strip().equals(etag))) {
            return FULL;
        }
        // "bytes=" with nothing after it is ignored too, as nginx does.
        if (range.length() < 7 || !range.regionMatches(true, 0, "bytes=", 0, 6)) {
            return FULL;
        }
        return parseByteRangeSet(range, 6, size);
    }

    private static RangeRequest parseByteRangeSet(String s, int start, long size) {
        List<ByteRange> out = new ArrayList<>(1);
        long total = 0;
        int count = 0;
        int i = skipSpace(s, start);
        while (true) {
            long first;
            long last;
            if (i < s.length() && s.charAt(i) == '-') {
                int digitsEnd = digitsEnd(s, i + 1);
                if (digitsEnd == i + 1) {
                    return UNSATISFIABLE;
                }
                long suffix = parse(s, i + 1, digitsEnd);
                if (suffix < 0) {
                    return UNSATISFIABLE;
                }
                i = digitsEnd;
                first = suffix < size ? size - suffix : 0;
                last = suffix == 0 ? -1 : size - 1;
            } else {
                int digitsEnd = digitsEnd(s, i);
                if (digitsEnd == i) {
                    return UNSATISFIABLE;
                }
                first = parse(s, i, digitsEnd);
                i = skipSpace(s, digitsEnd);
                if (first < 0 || i >= s.length() || s.charAt(i) != '-') {
                    return UNSATISFIABLE;
                }
                i = skipSpace(s, i + 1);
                if (i == s.length() || s.charAt(i) == ',') {
                    last = size - 1;
                } else {
                    int lastEnd = digitsEnd(s, i);
                    if (lastEnd == i) {
                        return UNSATISFIABLE;
                    }
                    last = parse(s, i, lastEnd);
                    if (last < 0) {
                        return UNSATISFIABLE;
                    }
                    if (last < first) {
                        // RFC 9110 calls this invalid; like nginx, an invalid range is one not satisfied.
                        last = first - 1;
                    }
                    last = Math.min(last, size - 1);
                    i = lastEnd;
                }
            }
            i = skipSpace(s, i);
            if (i < s.length() && s.charAt(i) != ',') {
                return UNSATISFIABLE;
            }
            if (first <= last && first < size) {
                if (++count > MAX_RANGES) {
                    return FULL;
                }
                out.add(new ByteRange(first, last));
                total += last - first + 1;
            }
            if (i == s.length()) {
                break;
            }
            i = skipSpace(s, i + 1);
        }
        if (out.isEmpty()) {
            return UNSATISFIABLE;
        }
        if (total > size) {
            return FULL;
        }
        return new RangeRequest(Kind.PARTIAL, List.copyOf(out));
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
            i++;
        }
        return i;
    }

    private static int digitsEnd(String s, int i) {
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        return i;
    }

    /** A non-negative decimal, or -1 when it does not fit in a long (an offset no file has). */
    private static long parse(String s, int from, int to) {
        long v = 0;
        for (int i = from; i < to; i++) {
            int d = s.charAt(i) - '0';
            if (v > (Long.MAX_VALUE - d) / 10) {
                return -1;
            }
            v = v * 10 + d;
        }
        return v;
    }
}
