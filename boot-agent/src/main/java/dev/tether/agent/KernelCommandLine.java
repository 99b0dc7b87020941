package dev.tether.agent;

import dev.tether.agent.root.ZramSize;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The {@code tether.*} parameters of the kernel command line (see docs/contracts.md). Every value is
 * checked here, and all problems are reported together in one line, so a mistyped boot entry needs one
 * round of fixing, not one per parameter. Unknown {@code tether.*} keys are kept as warnings: a newer
 * operator may add parameters an older agent does not know.
 *
 * @param discover {@code tether.discover}: this machine is unknown; register it (the MAC it booted with) and wait to be
 *                 enrolled instead of booting
 * @param debug {@code tether.debug}: print stack traces under failures
 */
public record KernelCommandLine(
        Optional<String> node,
        Optional<String> profile,
        Optional<ImageMethod> method,
        List<URI> edges,
        Optional<String> image,
        Optional<String> rootImage,
        Optional<ZramSize> zram,
        Optional<String> zramAlgorithm,
        Optional<ConsoleMode> console,
        Optional<String> discover,
        boolean debug,
        List<String> unknownKeys) {

    /** A Kubernetes object name (DNS-1123 subdomain): what node and profile names are. */
    private static final Pattern OBJECT_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern ALGORITHM = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");
    private static final Pattern MAC = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");

    public static KernelCommandLine parse(String text) throws BootConfigException {
        Map<String, String> params = parameters(text);
        List<String> problems = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        Values values = new Values(params, problems);

        Optional<String> node = values.get("tether.node", v -> objectName("tether.node", v));
        Optional<String> profile = values.get("tether.profile", v -> objectName("tether.profile", v));
        Optional<ImageMethod> method = values.get("tether.method", ImageMethod::parse);
        List<URI> edges = values.get("tether.edges", v -> EdgeUrls.parseList("tether.edges", v)).orElse(List.of());
        Optional<String> image = values.get("tether.image", v -> Digests.requireSha256("tether.image", v));
        Optional<String> rootImage = values.get("tether.rootimage", v -> Digests.requireSha256("tether.rootimage", v));
        Optional<ZramSize> zram = values.get("tether.zram", v -> zramSize(v));
        Optional<String> algorithm = values.get("tether.zram_alg", v -> {
            if (!ALGORITHM.matcher(v).matches()) {
                throw new IllegalArgumentException("tether.zram_alg=" + v + " is not an algorithm name (zstd, lz4, lzo-rle)");
            }
            return v;
        });
        Optional<ConsoleMode> console = values.get("tether.console", ConsoleMode::parse);
        Optional<String> discover = values.get("tether.discover", v -> {
            String mac = v.toLowerCase(Locale.ROOT);
            if (!MAC.matcher(mac).matches()) {
                throw new IllegalArgumentException("tether.discover=" + v + " is not the MAC address the machine booted with");
            }
            return mac;
        });
        // A bare tether.debug turns it on, as kernel flags do; tether.debug=0 turns it off again.
        boolean debug = params.containsKey("tether.debug")
                && !List.of("0", "no", "false").contains(String.valueOf(params.get("tether.debug")));

        for (String key : params.keySet()) {
            if (key.startsWith("tether.") && !Values.KNOWN.contains(key)) {
                unknown.add(key);
            }
        }
        if (!problems.isEmpty()) {
            throw new BootConfigException("kernel command line: " + String.join("; ", problems));
        }
        return new KernelCommandLine(node, profile, method, edges, image, rootImage, zram, algorithm, console, discover, debug,
                List.copyOf(unknown));
    }

    /**
     * Splits the command line as the kernel does: on whitespace, except inside double quotes, which are
     * removed ({@code key="a b"}). A repeated key keeps its last value, as for kernel parameters.
     */
    static Map<String, String> parameters(String text) {
        Map<String, String> params = new LinkedHashMap<>();
        StringBuilder word = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i <= text.length(); i++) {
            char c = i < text.length() ? text.charAt(i) : ' ';
            if (c == '"') {
                quoted = !quoted;
            } else if (Character.isWhitespace(c) && !quoted) {
                if (!word.isEmpty()) {
                    String param = word.toString();
                    int eq = param.indexOf('=');
                    params.put(eq < 0 ? param : param.substring(0, eq), eq < 0 ? null : param.substring(eq + 1));
                    word.setLength(0);
                }
            } else {
                word.append(c);
            }
        }
        return params;
    }

    private static String objectName(String key, String value) {
        if (!OBJECT_NAME.matcher(value).matches()) {
            throw new IllegalArgumentException(key + "=" + value + " is not a Kubernetes object name"
                    + " (lowercase letters, digits, '-' and '.')");
        }
        return value;
    }

    private static ZramSize zramSize(String value) {
        try {
            return ZramSize.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tether.zram=" + value + ": " + e.getMessage(), e);
        }
    }

    /** Reads one parameter each; a bad value becomes a problem instead of stopping at the first. */
    private record Values(Map<String, String> params, List<String> problems) {
        /** tether.jvm is the launcher's (bin/tether-agent: JVM options), known here so it is not called unknown. */
        static final List<String> KNOWN = List.of("tether.node", "tether.profile", "tether.method", "tether.edges",
                "tether.image", "tether.rootimage", "tether.zram", "tether.zram_alg", "tether.console", "tether.debug",
                "tether.jvm", "tether.discover");

        <T> Optional<T> get(String key, Function<String, T> parser) {
            if (!params.containsKey(key)) {
                return Optional.empty();
            }
            String value = params.get(key);
            if (value == null || value.isEmpty()) {
                problems.add(key + " has no value; write " + key + "=<value> or leave it out");
                return Optional.empty();
            }
            try {
                return Optional.of(parser.apply(value));
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage().startsWith(key) ? e.getMessage() : key + ": " + e.getMessage());
                return Optional.empty();
            }
        }
    }
}
