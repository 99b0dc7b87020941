package dev.tether.operator;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How Tether's processes log (chart value {@code logging}), read by the operator from its own environment and
 * passed on to the edges it runs, so that one setting makes every Tether pod log alike.
 *
 * @param format {@code text} (one line per event) or {@code json} (one object per line)
 * @param level  the root logger's level
 */
public record LogSettings(String format, String level) {
    public static final String FORMAT_VARIABLE = "TETHER_LOG_FORMAT";
    public static final String LEVEL_VARIABLE = "TETHER_LOG_LEVEL";
    private static final Set<String> FORMATS = Set.of("text", "json");
    private static final Set<String> LEVELS = Set.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE");

    public LogSettings {
        if (!FORMATS.contains(format)) {
            throw new IllegalArgumentException(FORMAT_VARIABLE + " must be text or json, not '" + format + "'");
        }
        if (!LEVELS.contains(level)) {
            throw new IllegalArgumentException(LEVEL_VARIABLE + " must be one of ERROR, WARN, INFO, DEBUG or TRACE, not '"
                    + level + "'");
        }
    }

    public static LogSettings fromEnvironment(Map<String, String> env) {
        return new LogSettings(env.getOrDefault(FORMAT_VARIABLE, "text").trim().toLowerCase(Locale.ROOT),
                env.getOrDefault(LEVEL_VARIABLE, "INFO").trim().toUpperCase(Locale.ROOT));
    }

    /** The variables a content server's logback configuration reads. */
    public Map<String, String> environment() {
        return Map.of(FORMAT_VARIABLE, format, LEVEL_VARIABLE, level);
    }
}
