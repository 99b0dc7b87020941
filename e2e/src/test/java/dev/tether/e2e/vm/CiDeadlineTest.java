package dev.tether.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class CiDeadlineTest {
    private static final Instant NOW = Instant.parse("2026-12-02T06:00:00Z");

    /** Budgets as VM tests declare them; an interface, so that JUnit runs none of them. */
    interface Budgets {
        @VmTest(minutes = 25)
        void twentyFiveMinutes();

        @VmTest(minutes = 8, needsImage = false)
        void eightMinutesWithoutTheImage();
    }

    private static VmTest budget(String method) throws NoSuchMethodException {
        return Budgets.class.getDeclaredMethod(method).getAnnotation(VmTest.class);
    }

    @Test
    void aTestThatFitsBeforeTheDeadlineRuns() throws Exception {
        var result = CiDeadline.decide(budget("twentyFiveMinutes"), NOW.plusSeconds(30 * 60), NOW, true);
        assertThat(result.isDisabled()).isFalse();
    }

    @Test
    void aTestThatWouldOverrunIsSkippedSayingWhy() throws Exception {
        var result = CiDeadline.decide(budget("twentyFiveMinutes"), NOW.plusSeconds(20 * 60), NOW, true);
        assertThat(result.isDisabled()).isTrue();
        assertThat(result.getReason()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("leaves 20 min").contains("needs about 25 min").contains(CiDeadline.VARIABLE));
    }

    @Test
    void theFirstTestThatNeedsTheImageAlsoPaysForItsBuild() throws Exception {
        assertThat(CiDeadline.decide(budget("twentyFiveMinutes"), NOW.plusSeconds(30 * 60), NOW, false).isDisabled()).isTrue();
        assertThat(CiDeadline.decide(budget("eightMinutesWithoutTheImage"), NOW.plusSeconds(10 * 60), NOW, false).isDisabled()).isFalse();
    }

    @Test
    void noVariableMeansNoDeadline() {
        assertThat(CiDeadline.deadline(null)).isEmpty();
        assertThat(CiDeadline.deadline(" ")).isEmpty();
    }

    @Test
    void theDeadlineIsSecondsSinceTheEpoch() {
        assertThat(CiDeadline.deadline("1764657000")).contains(Instant.ofEpochSecond(1764657000));
    }

    @Test
    void aMalformedDeadlineIsAnErrorNamingTheVariable() {
        assertThatThrownBy(() -> CiDeadline.deadline("90m")).hasMessageContaining(CiDeadline.VARIABLE).hasMessageContaining("90m");
    }
}
