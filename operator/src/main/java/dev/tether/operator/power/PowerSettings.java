package dev.tether.operator.power;

import java.time.Duration;
import java.util.Map;

/**
 * How the operator talks to BMCs.
 *
 * @param pollInterval how often a node's power state is read from its BMC (also the retry period after a failure)
 * @param settleTime how long after a power change the BMC may still report the old state before the change is retried
 * @param requestTimeout how long one BMC request may take (an ipmitool run with its retries, an HTTPS request)
 * @param workers how many BMCs are talked to at once: a slow or dead BMC holds one of these, never a reconcile thread
 * @param ipmitool the ipmitool program
 */
public record PowerSettings(Duration pollInterval, Duration settleTime, Duration requestTimeout, int workers, String ipmitool) {
    public static PowerSettings defaults() {
        return new PowerSettings(Duration.ofMinutes(1), Duration.ofSeconds(30), Duration.ofSeconds(20), 4, "ipmitool");
    }

    public static PowerSettings fromEnvironment(Map<String, String> env) {
        var defaults = defaults();
        return new PowerSettings(
                seconds(env, "TETHER_POWER_POLL_SECONDS", defaults.pollInterval()),
                seconds(env, "TETHER_POWER_SETTLE_SECONDS", defaults.settleTime()),
                seconds(env, "TETHER_BMC_TIMEOUT_SECONDS", defaults.requestTimeout()),
                Integer.parseInt(env.getOrDefault("TETHER_BMC_WORKERS", Integer.toString(defaults.workers()))),
                env.getOrDefault("TETHER_IPMITOOL", defaults.ipmitool()));
    }

    private static Duration seconds(Map<String, String> env, String name, Duration fallback) {
        String value = env.get(name);
        return value == null || value.isBlank() ? fallback : Duration.ofSeconds(Long.parseLong(value.strip()));
    }
}
