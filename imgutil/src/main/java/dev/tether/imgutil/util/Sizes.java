package dev.tether.imgutil.util;

import dev.tether.imgutil.UserError;
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
}
