package dev.tether.content.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.content.http.RangeRequest.ByteRange;
import dev.tether.content.http.RangeRequest.Kind;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 9110 §14.1.2's examples on a 10000-byte representation, and the edge cases around them. */
class RangeRequestTest {
    private static final String ETAG = "\"sha256:abc\"";

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource(delimiter = '|', nullValues = "null", textBlock = """
            # RFC 9110 §14.1.2 examples
            bytes=0-499                 | PARTIAL       | 0-499
            bytes=500-999               | PARTIAL       | 500-999
            bytes=-500                  | PARTIAL       | 9500-9999
            bytes=9500-                 | PARTIAL       | 9500-9999
            bytes=0-0,-1                | PARTIAL       | 0-0 9999-9999
            bytes=500-600,601-999       | PARTIAL       | 500-600 601-999
            bytes=500-700,601-999       | PARTIAL       | 500-700 601-999
            # last-pos beyond the end is clamped; suffix longer than the file is the whole file
            bytes=9000-20000            | PARTIAL       | 9000-9999
            bytes=-20000                | PARTIAL       | 0-9999
            bytes=0-                    | PARTIAL       | 0-9999
            # optional whitespace and case of the unit
            BYTES=0-1                   | PARTIAL       | 0-1
            bytes= 0 - 1 , 5-6          | PARTIAL       | 0-1 5-6
            # a range starting past the end is dropped; when none remains: 416
            bytes=10000-                | UNSATISFIABLE | null
            bytes=10000-10001           | UNSATISFIABLE | null
            bytes=0-1,10000-            | PARTIAL       | 0-1
            bytes=-0                    | UNSATISFIABLE | null
            bytes=5-3                   | UNSATISFIABLE | null
            # malformed byte ranges are refused (as nginx does)
            bytes=abc                   | UNSATISFIABLE | null
            bytes=1-2x                  | UNSATISFIABLE | null
            bytes=0-1,                  | UNSATISFIABLE | null
            bytes=--1                   | UNSATISFIABLE | null
            bytes=99999999999999999999- | UNSATISFIABLE | null
            # other units are ignored
            items=0-1                   | FULL          | null
            bytes                       | FULL          | null
            bytes=                      | FULL          | null
            # ranges adding up to more than the representation are ignored (amplification)
            bytes=0-9999,0-9999         | FULL          | null
            """)
    void evaluatesAgainstTenThousandBytes(String header, Kind kind, String expected) {
        RangeRequest r = RangeRequest.evaluate(header, null, ETAG, 10_000);
        assertThat(r.kind()).isEqualTo(kind);
        if (expected != null) {
            List<ByteRange> ranges = Arrays.stream(expected.split(" ")).map(s -> {
                String[] p = s.split("-");
                return new ByteRange(Long.parseLong(p[0]), Long.parseLong(p[1]));
            }).toList();
            assertThat(r.ranges()).containsExactlyElementsOf(ranges);
        }
    }

    @ParameterizedTest(name = "If-Range {0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            "sha256:abc"                   | PARTIAL
            "sha256:other"                 | FULL
            W/"sha256:abc"                 | FULL
            Tue, 15 Nov 1994 08:12:31 GMT  | FULL
            """)
    void ifRangeKeepsTheRangeOnlyForTheSameStrongEtag(String ifRange, Kind kind) {
        assertThat(RangeRequest.evaluate("bytes=0-1", ifRange, ETAG, 10_000).kind()).isEqualTo(kind);
    }

    @org.junit.jupiter.api.Test
    void tooManyRangesAreIgnored() {
        StringBuilder h = new StringBuilder("bytes=0-0");
        for (int i = 1; i <= RangeRequest.MAX_RANGES; i++) {
            h.append(',').append(i * 2).append('-').append(i * 2);
        }
        assertThat(RangeRequest.evaluate(h.toString(), null, ETAG, 10_000).kind()).isEqualTo(Kind.FULL);
    }
}
