package dev.tether.imgutil.util;

import dev.tether.imgutil.UserError;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes as people and Kubernetes write them: {@code 1048576}, {@code 1Mi}, {@code 1MiB}, {@code 256Ki}. */
public final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(Ki|Mi|Gi|KiB|MiB|GiB)?");

    private Sizes() {
    }

    public static int parseInt(String text, String what) {
        Matcher matcher = SIZE.matcher(text == null ? "" : text.strip());
        if (!matcher.matches()) {
            throw new UserError(what + " '" + text + "' is not a size (write it as 1048576, 1Mi or 1MiB)");
        }
        long value = Long.parseLong(matcher.group(1));
        String unit = matcher.group(2) == null ? "" : matcher.group(2).substring(0, 2);
        long bytes = switch (unit) {
            case "Ki" -> value << 10;
            case "Mi" -> value << 20;
            case "Gi" -> value << 30;
            default -> value;
        };
        if (bytes > Integer.MAX_VALUE) {
            throw new UserError(what + " " + text + " is too large");
        }
        return (int) bytes;
    }

    /** {@code bytes} in the largest of KiB, MiB, GiB it reaches: whole where it is whole, else to one decimal. */
    public static String describe(long bytes) {
        String[] units = {"KiB", "MiB", "GiB"};
        int unit = bytes >= 1L << 30 ? 2 : bytes >= 1L << 20 ? 1 : 0;
        long scale = 1L << (10 * (unit + 1));
        return (bytes % scale == 0 ? String.valueOf(bytes / scale)
                : String.format(Locale.ROOT, "%.1f", bytes / (double) scale)) + " " + units[unit];
    }
}
