package dev.tether.units;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A duration as Go and Kubernetes write it ({@code metav1.Duration}, Go's {@code time.ParseDuration}): a sequence of
 * decimal numbers, each with a unit ({@code ns us µs ms s m h}), like {@code 720h}, {@code 1h30m}, {@code 1.5h} or
 * {@code 500ms}; {@code 0} alone needs no unit. No days: Go has none.
 *
 * <p>Fabric8's {@code Duration.parse} agrees on every whole-number form, but not on fractions ({@code 1.5h} is 5h
 * there), days or signs; this follows Go, which is what the API server and kubectl do.
 */
public final class GoDuration {
    private static final int MAX_LENGTH = 64;
    private static final Pattern WHOLE = Pattern.compile("[+-]?(?:(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+");
    private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)");
    private static final BigDecimal MAX_NANOS = BigDecimal.valueOf(Long.MAX_VALUE);

    private GoDuration() {}

    /**
     * @throws IllegalArgumentException saying what was wrong and how a duration is written
     */
    public static Duration parse(String text) {
        if (text == null || text.length() > MAX_LENGTH || !WHOLE.matcher(text).matches()) {
            if ("0".equals(text) || "+0".equals(text) || "-0".equals(text)) {
                return Duration.ZERO;
            }
            throw new IllegalArgumentException("'" + text + "' is not a duration; write it like 90s, 1h30m or 500ms");
        }
        BigDecimal nanos = BigDecimal.ZERO;
        Matcher part = PART.matcher(text);
        while (part.find()) {
            nanos = nanos.add(new BigDecimal(part.group(1)).multiply(nanosPer(part.group(2))));
        }
        // Go truncates below a nanosecond, and refuses what does not fit its int64 of nanoseconds (about 292 years).
        if (nanos.compareTo(MAX_NANOS) > 0) {
            throw new IllegalArgumentException("'" + text + "' is too long a duration");
        }
        long whole = nanos.longValue();
        return Duration.ofNanos(text.startsWith("-") ? -whole : whole);
    }

    private static BigDecimal nanosPer(String unit) {
        return BigDecimal.valueOf(switch (unit) {
            case "ns" -> 1L;
            case "us", "µs", "μs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            default -> 3_600_000_000_000L;
        });
    }
}
