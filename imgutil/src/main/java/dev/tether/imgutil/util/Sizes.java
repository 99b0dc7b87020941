package dev.tether.imgutil.util;

import dev.tether.imgutil.UserError;
import dev.tether.units.ByteQuantity;
import java.util.Locale;

/**
 * Byte sizes with Kubernetes' rules ({@link ByteQuantity}: {@code 1048576}, {@code 1Mi}, {@code 256Ki}), and {@code 1MiB}
 * as people also write it.
 */
public final class Sizes {
    private Sizes() {
    }

    public static int parseInt(String text, String what) {
        String quantity = text == null ? "" : text.strip();
        // "MiB" is no Kubernetes quantity but says the same as "Mi"; "MB" stays refused, since it is ambiguous.
        if (quantity.endsWith("iB")) {
            quantity = quantity.substring(0, quantity.length() - 1);
        }
        long bytes;
        try {
            bytes = ByteQuantity.parse(quantity);
        } catch (IllegalArgumentException e) {
            throw new UserError(what + " '" + text + "' is not a size (write it as 1048576, 1Mi or 1MiB)");
        }
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
