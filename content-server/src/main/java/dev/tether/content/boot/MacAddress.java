package dev.tether.content.boot;

import java.util.Locale;
import java.util.regex.Pattern;

/** A MAC address as iPXE's {@code ${mac}} prints it: six colon-separated hex pairs, kept lowercase. */
public record MacAddress(String text) {
    private static final Pattern FORMAT = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){5}");

    public MacAddress {
        if (text == null || !FORMAT.matcher(text).matches()) {
            throw new IllegalArgumentException("not a MAC address: expected six hex pairs like 52:54:00:12:34:56");
        }
    }

    /** Accepts upper or lower case and {@code -} separators; null when the text is no MAC address. */
    public static MacAddress parseOrNull(String text) {
        if (text == null || text.length() != 17) {
            return null;
        }
        String normal = text.toLowerCase(Locale.ROOT).replace('-', ':');
        return FORMAT.matcher(normal).matches() ? new MacAddress(normal) : null;
    }

    @Override
    public String toString() {
        return text;
    }
}
