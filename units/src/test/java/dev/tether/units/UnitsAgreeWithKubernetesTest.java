package dev.tether.units;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Held to Fabric8's Quantity and Duration, the Kubernetes model the operator uses, so the rules cannot drift. */
class UnitsAgreeWithKubernetesTest {
    @ParameterizedTest
    @ValueSource(strings = {"0", "1", "65536", "1k", "200G", "200Gi", "512Mi", "64Ki", "1.5Gi", ".5Gi", "12.", "+1Gi",
            "1e3", "1E3", "2e9", "1M", "1T", "1Ti", "1P", "1Pi", "1000m", "2000m", "0.5k"})
    void sizesAreWhatKubernetesMakesOfThem(String text) {
        BigDecimal kubernetes = Quantity.getAmountInBytes(new Quantity(text));
        assertThat(BigDecimal.valueOf(ByteQuantity.parse(text))).isEqualByComparingTo(kubernetes);
    }

    /** Fabric8 goes through a double above a petabyte or so; the bytes themselves are exact. */
    @Test
    void exbibytesAreExact() {
        assertThat(ByteQuantity.parse("7Ei")).isEqualTo(7L << 60);
        assertThat(ByteQuantity.parse("9E")).isEqualTo(9_000_000_000_000_000_000L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1K", "1KiB", "1ki", "1 Gi", " 1Gi", "1GB", "lots", "", "Gi", "1.2.3"})
    void whatKubernetesRefusesIsRefused(String text) {
        assertThatThrownBy(() -> new Quantity(text).getNumericalAmount()).as("Fabric8 refuses it").isNotNull();
        assertThatThrownBy(() -> ByteQuantity.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a size").hasMessageContaining("8Gi");
    }

    @ParameterizedTest
    @ValueSource(strings = {"100m", "0.5", "1.5", "-1Gi", "8Ei", "1e100", "9223372036854775808"})
    void aSizeIsAWholeNonNegativeLong(String text) {
        assertThatThrownBy(() -> ByteQuantity.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"720h", "1h30m", "90s", "500ms", "2h", "10m0s", "0s", "1us", "1µs", "1ns", "1h1m1s1ms", "1m1m"})
    void durationsAreWhatKubernetesMakesOfThem(String text) throws Exception {
        assertThat(GoDuration.parse(text)).isEqualTo(io.fabric8.kubernetes.api.model.Duration.parse(text).getDuration());
    }

    /** Where Fabric8 parts from Go, Go decides: it is what the API server and kubectl parse with. */
    @ParameterizedTest
    @CsvSource({"1.5h, PT1H30M", ".5s, PT0.5S", "0, PT0S", "-1h, PT-1H", "1.000000001s, PT1.000000001S"})
    void fractionsAndSignsFollowGo(String text, Duration go) {
        assertThat(GoDuration.parse(text)).isEqualTo(go);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "3d", "1H", "1h 30m", "1.s.", "h", "1", "10", ".s", "3000000h"})
    void whatGoRefusesIsRefused(String text) {
        assertThatThrownBy(() -> GoDuration.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'");
    }
}
