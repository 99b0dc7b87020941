package dev.tether.units;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A number of bytes written as a Kubernetes quantity, with Kubernetes' rules (apimachinery's {@code ParseQuantity}, as
 * Fabric8's {@code Quantity.getAmountInBytes} reads it): binary suffixes {@code Ki Mi Gi Ti Pi Ei} are powers of 1024,
 * decimal ones {@code k M G T P E} powers of 1000 ({@code 200G} is 200 000 000 000 bytes, {@code 200Gi} 200 GiB), an
 * exponent ({@code 1e9}) is allowed, and the result must be a whole, non-negative number of bytes.
 */
public final class ByteQuantity {
    /** Longer text than this is no size anyone writes; refusing it bounds the arithmetic. */
    private static final int MAX_LENGTH = 64;
    private static final Pattern QUANTITY = Pattern.compile(
            "([+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+))(?:[eE]([+-]?[0-9]{1,3})|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?");

    private ByteQuantity() {}

    /**
     * @return the bytes {@code text} stands for
     * @throws IllegalArgumentException saying what was wrong and how a size is written
     */
    public static long parse(String text) {
        Matcher m = text == null || text.length() > MAX_LENGTH ? null : QUANTITY.matcher(text);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size; write bytes or a quantity like 512Mi, 8Gi or 200G");
        }
        BigDecimal number = new BigDecimal(m.group(1));
        BigDecimal bytes = m.group(2) != null
                ? number.scaleByPowerOfTen(Integer.parseInt(m.group(2)))
                : number.multiply(multiplier(m.group(3)));
        if (bytes.signum() < 0) {
            throw new IllegalArgumentException("'" + text + "' is negative; a size is not");
        }
        try {
            return bytes.stripTrailingZeros().toBigIntegerExact().longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes or too large", e);
        }
    }

    private static BigDecimal multiplier(String suffix) {
        if (suffix == null) {
            return BigDecimal.ONE;
        }
        return switch (suffix) {
            case "Ki" -> BigDecimal.TWO.pow(10);
            case "Mi" -> BigDecimal.TWO.pow(20);
            case "Gi" -> BigDecimal.TWO.pow(30);
            case "Ti" -> BigDecimal.TWO.pow(40);
            case "Pi" -> BigDecimal.TWO.pow(50);
            case "Ei" -> BigDecimal.TWO.pow(60);
            case "n" -> BigDecimal.ONE.scaleByPowerOfTen(-9);
            case "u" -> BigDecimal.ONE.scaleByPowerOfTen(-6);
            case "m" -> BigDecimal.ONE.scaleByPowerOfTen(-3);
            case "k" -> BigDecimal.ONE.scaleByPowerOfTen(3);
            case "M" -> BigDecimal.ONE.scaleByPowerOfTen(6);
            case "G" -> BigDecimal.ONE.scaleByPowerOfTen(9);
            case "T" -> BigDecimal.ONE.scaleByPowerOfTen(12);
            case "P" -> BigDecimal.ONE.scaleByPowerOfTen(15);
            default -> BigDecimal.ONE.scaleByPowerOfTen(18);
        };
    }
}
