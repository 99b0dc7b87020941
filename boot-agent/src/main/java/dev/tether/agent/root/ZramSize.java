package dev.tether.agent.root;

import dev.tether.units.ByteQuantity;
import java.math.BigDecimal;
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

    Pattern FRACTION = Pattern.compile("[0-9]+(?:\\.[0-9]+)?");

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

    /**
     * Parses a fraction of RAM (a number without a unit, at most {@value #MAX_FRACTION}: {@code 0.5},
     * {@code 1}) or a size with Kubernetes' rules ({@code 8Gi}, {@code 20G}, or a larger number without a unit: bytes).
     *
     * @throws IllegalArgumentException with a message that shows the accepted forms
     */
    static ZramSize parse(String text) {
        String value = text.strip();
        if (FRACTION.matcher(value).matches() && new BigDecimal(value).compareTo(BigDecimal.valueOf(MAX_FRACTION)) <= 0) {
            return new Fraction(Double.parseDouble(value));
        }
        long bytes;
        try {
            bytes = ByteQuantity.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().contains("is not a size")
                    ? "'" + text + "' is neither a fraction of RAM (0.5) nor a size (8Gi, 512Mi)" : e.getMessage(), e);
        }
        if (bytes == 0) {
            throw new IllegalArgumentException("'" + text + "' is zero; the writable layer needs some room");
        }
        return new Bytes(bytes);
    }
}
