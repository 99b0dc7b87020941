package dev.tether.operator;

import dev.tether.api.v1alpha1.Patterns;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as the resources write them ({@code 720h}, {@code 1h30m}, {@code 90s}): the schema's {@link Patterns#DURATION}.
 * Used for the builder's timeout and the host certificates' validity.
 */
public final class GoDuration {
    private static final Pattern PARTS = Pattern.compile("^(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$");

    private GoDuration() {}

    public static Duration parse(String text) {
        Matcher m = PARTS.matcher(text);
        if (text.isEmpty() || !m.matches()) {
            throw new IllegalArgumentException("not a duration like 720h or 1h30m: " + text);
        }
        Duration d = Duration.ZERO;
        if (m.group(1) != null) {
            d = d.plusHours(Long.parseLong(m.group(1)));
        }
        if (m.group(2) != null) {
            d = d.plusMinutes(Long.parseLong(m.group(2)));
        }
        if (m.group(3) != null) {
            d = d.plusSeconds(Long.parseLong(m.group(3)));
        }
        return d;
    }
}
