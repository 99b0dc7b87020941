package dev.tether.agent.root;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The size of the writable layer's zram device: a fraction of the machine's RAM ({@code 0.5}) or an amount
 * in Kubernetes quantity notation ({@code 8Gi}, {@code 512Mi}, {@code 20G}, or plain bytes). zram only uses
 * memory for what is written (compressed), so this is a ceiling, not a reservation.
 */
public sealed interface ZramSize {
    /** Half of RAM: room for a busy node's writes without letting them starve applications of memory. */
    ZramSize DEFAULT = new Fraction(0.5);

    /** More than twice the RAM could only fill up by pushing the node out of memory. */
    double MAX_FRACTION = 2.0;

    long bytes(long memTotalBytes);

    record Fraction(double fraction) implements ZramSize {
        public Fraction {
            if (!(fraction > 0 && fraction <= MAX_FRACTION)) {
                throw new IllegalArgumentException("a zram fraction of RAM must be above 0 and at most "
                        + MAX_FRACTION + ", not " + fraction);
            }
        }

        @Override
        public long bytes(long memTotalBytes) {
            return (long) (memTotalBytes * fraction);
        }

        @Override
        public String toString() {
            return fraction + " of RAM";
        }
    }

    record Bytes(long bytes) implements ZramSize {
        public Bytes {
            if (bytes <= 0) {
                throw new IllegalArgumentException("a zram size must be positive");
            }
        }

        @Override
        public long bytes(long memTotalBytes) {
            return bytes;
        }

        @Override
        public String toString() {
            return bytes + " bytes";
        }
    }

    Pattern QUANTITY = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?");

    /**
     * Parses a fraction of RAM (a number without a unit, at most {@value #MAX_FRACTION}: {@code 0.5},
     * {@code 1}) or a quantity ({@code 8Gi}, or a larger number without a unit: bytes).
     *
     * @throws IllegalArgumentException with a message that shows the accepted forms
     */
    static ZramSize parse(String text) {
        String value = text.strip();
        Matcher matcher = QUANTITY.matcher(value);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("'" + text + "' is neither a fraction of RAM (0.5) nor a size (8Gi, 512Mi)");
        }
        BigDecimal number = new BigDecimal(matcher.group(1));
        String unit = matcher.group(2);
        if (unit == null && number.compareTo(BigDecimal.valueOf(MAX_FRACTION)) <= 0) {
            return new Fraction(number.doubleValue());
        }
        long multiplier = switch (unit == null ? "" : unit.toLowerCase(Locale.ROOT).equals("k") ? "k" : unit) {
            case "" -> 1L;
            case "k" -> 1_000L;
            case "M" -> 1_000_000L;
            case "G" -> 1_000_000_000L;
            case "T" -> 1_000_000_000_000L;
            case "Ki" -> 1L << 10;
            case "Mi" -> 1L << 20;
            case "Gi" -> 1L << 30;
            case "Ti" -> 1L << 40;
            default -> throw new IllegalArgumentException("unknown unit " + unit);
        };
        BigDecimal bytes = number.multiply(BigDecimal.valueOf(multiplier));
        if (bytes.signum() == 0) {
            throw new IllegalArgumentException("'" + text + "' is zero; the writable layer needs some room");
        }
        try {
            return new Bytes(bytes.longValueExact());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes or too large", e);
        }
    }
}
