package dev.tether.operator.trust;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * An IPv4 range in CIDR form ({@code 10.1.0.0/16}), as the SSH principal policy names the addresses a namespace
 * may have certified, and the {@code known_hosts} host patterns that name exactly that range.
 */
public record Ipv4Range(int network, int prefix) {
    /** Dotted quad without leading zeros: some resolvers read {@code 010} as octal, so such a name is not an address. */
    private static final Pattern DOTTED_QUAD = Pattern.compile("^(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}$");
    /** A range is named by wildcard patterns, one per /8, /16 or /24 inside it; more than this is a mistake. */
    static final int MAX_PATTERNS = 256;

    public static Ipv4Range parse(String cidr) {
        String text = cidr.strip();
        int slash = text.indexOf('/');
        Integer address = slash < 0 ? null : address(text.substring(0, slash));
        int prefix;
        try {
            prefix = slash < 0 ? -1 : Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            prefix = -1;
        }
        if (address == null || prefix < 1 || prefix > 32) {
            throw new IllegalArgumentException("'" + cidr + "' is not an IPv4 range in CIDR form with a prefix of 1 to 32 bits"
                    + " (e.g. 10.1.0.0/16)");
        }
        if ((address & ~mask(prefix)) != 0) {
            throw new IllegalArgumentException("'" + cidr + "' has bits set after its /" + prefix + " prefix; write the range's"
                    + " first address (" + format(address & mask(prefix)) + "/" + prefix + ")");
        }
        var range = new Ipv4Range(address, prefix);
        if (1 << (roundedPrefix(prefix) - prefix) > MAX_PATTERNS) {
            throw new IllegalArgumentException("'" + cidr + "' cannot be named by at most " + MAX_PATTERNS + " known_hosts patterns");
        }
        return range;
    }

    /** The address as an int, or null when {@code text} is not a plain dotted-quad IPv4 address. */
    public static Integer address(String text) {
        if (text == null || !DOTTED_QUAD.matcher(text).matches()) {
            return null;
        }
        int value = 0;
        for (String part : text.split("\\.")) {
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                return null;
            }
            value = value << 8 | octet;
        }
        return value;
    }

    public boolean contains(int address) {
        return (address & mask(prefix)) == network;
    }

    public boolean overlaps(Ipv4Range other) {
        int shorter = Math.min(prefix, other.prefix);
        return (network & mask(shorter)) == (other.network & mask(shorter));
    }

    /**
     * {@code known_hosts} host patterns are wildcards over the name ssh was given, not CIDRs: {@code 10.1.0.0/16} is
     * {@code 10.1.*.*}, and a prefix between octets is the /8, /16 or /24 patterns inside it ({@code 10.1.16.0/20} is
     * {@code 10.1.16.*} to {@code 10.1.31.*}). Every component is written, so a pattern matches four dotted parts
     * only, not a DNS name such as {@code 10.example.org}.
     */
    public List<String> knownHostsPatterns() {
        int rounded = roundedPrefix(prefix);
        var patterns = new ArrayList<String>();
        for (int i = 0; i < 1 << (rounded - prefix); i++) {
            int sub = network | (rounded == 32 ? i : i << (32 - rounded));
            String[] octets = format(sub).split("\\.");
            var pattern = new StringBuilder();
            for (int o = 0; o < 4; o++) {
                pattern.append(o == 0 ? "" : ".").append(o < rounded / 8 ? octets[o] : "*");
            }
            patterns.add(pattern.toString());
        }
        return patterns;
    }

    @Override
    public String toString() {
        return format(network) + "/" + prefix;
    }

    private static int roundedPrefix(int prefix) {
        return (prefix + 7) / 8 * 8;
    }

    private static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    private static String format(int address) {
        return (address >>> 24) + "." + (address >>> 16 & 255) + "." + (address >>> 8 & 255) + "." + (address & 255);
    }
}
