package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RangeCheckTest {
    private static HttpHeaders headers(String... pairs) {
        Map<String, List<String>> map = new java.util.HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], List.of(pairs[i + 1]));
        }
        return HttpHeaders.of(map, (a, b) -> true);
    }

    @Test
    void anExactPartialAnswerPassesAndGivesTheBlobSize() throws EdgeFailure {
        assertThat(RangeCheck.check(206, headers("content-range", "bytes 128-1151/90000", "content-length", "1024"), 128, 1024))
                .isEqualTo(90000);
        assertThat(RangeCheck.check(206, headers("content-range", "bytes 0-9/*"), 0, 10)).isEqualTo(-1);
    }

    @Test
    void aWholeBlobAnswerToARangeRequestIsRefused() {
        assertThatThrownBy(() -> RangeCheck.check(200, headers("content-length", "90000"), 128, 1024))
                .isInstanceOf(EdgeFailure.class).hasMessageContaining("answered 200 with the whole blob");
    }

    @Test
    void anotherRangeThanTheOneAskedForIsRefused() {
        assertThatThrownBy(() -> RangeCheck.check(206, headers("content-range", "bytes 0-1023/90000"), 128, 1024))
                .isInstanceOf(EdgeFailure.class).hasMessage("answered bytes 0-1023 to a request for bytes 128-1151");
        assertThatThrownBy(() -> RangeCheck.check(206, headers("content-range", "bytes 128-1150/90000"), 128, 1024))
                .isInstanceOf(EdgeFailure.class);
    }

    @Test
    void missingOrGarbledContentRangeOrAWrongLengthIsRefused() {
        assertThatThrownBy(() -> RangeCheck.check(206, headers(), 0, 10)).hasMessageContaining("without a Content-Range");
        assertThatThrownBy(() -> RangeCheck.check(206, headers("content-range", "items 0-9/10"), 0, 10))
                .hasMessageContaining("unreadable Content-Range");
        assertThatThrownBy(() -> RangeCheck.check(206, headers("content-range", "bytes 0-9/100", "content-length", "9"), 0, 10))
                .hasMessage("announced 9 bytes for a range of 10");
    }

    @Test
    void numbersNoLongHoldsOrThatAreNoNumbersAreRefusedSayingWhichHeader() {
        String pastALong = "99999999999999999999";
        assertThatThrownBy(() -> RangeCheck.check(206, headers("content-range", "bytes 0-9/" + pastALong), 0, 10))
                .isInstanceOf(EdgeFailure.class)
                .hasMessage("answered with an unreadable Content-Range: bytes 0-9/" + pastALong);
        assertThatThrownBy(() -> RangeCheck.check(206, headers("content-range", "bytes 0-" + pastALong + "/100"), 0, 10))
                .isInstanceOf(EdgeFailure.class).hasMessageContaining("unreadable Content-Range");
        HttpHeaders notANumber = headers("content-range", "bytes 0-9/100", "content-length", "ten");
        assertThatThrownBy(() -> RangeCheck.check(206, notANumber, 0, 10))
                .isInstanceOf(EdgeFailure.class).hasMessage("answered with an unreadable Content-Length: ten");
    }

    @Test
    void anAnswerFramedTwoWaysIsRefusedWhicheverValueWouldPass() throws EdgeFailure {
        HttpHeaders twoRanges = HttpHeaders.of(Map.of("content-range", List.of("bytes 0-9/100", "bytes 90-99/100")),
                (a, b) -> true);
        assertThatThrownBy(() -> RangeCheck.check(206, twoRanges, 0, 10))
                .hasMessage("answered with more than one Content-Range");
        HttpHeaders twoLengths = HttpHeaders.of(Map.of("content-range", List.of("bytes 0-9/100"),
                "content-length", List.of("10", "0")), (a, b) -> true);
        assertThatThrownBy(() -> RangeCheck.check(206, twoLengths, 0, 10))
                .hasMessage("answered with more than one Content-Length");
        HttpHeaders sameLengthTwice = HttpHeaders.of(Map.of("content-range", List.of("bytes 0-9/100"),
                "content-length", List.of("10", "10")), (a, b) -> true);
        assertThat(RangeCheck.check(206, sameLengthTwice, 0, 10)).as("the same length twice frames it one way")
                .isEqualTo(100);
    }

    @Test
    void errorStatusesSayWhatTheEdgeMeant() {
        assertThatThrownBy(() -> RangeCheck.check(404, headers(), 0, 10)).hasMessageContaining("does not have the root image");
        assertThatThrownBy(() -> RangeCheck.check(503, headers(), 0, 10)).hasMessage("answered 503 to a range request");
    }
}
