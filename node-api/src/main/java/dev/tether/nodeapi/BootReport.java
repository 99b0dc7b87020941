package dev.tether.nodeapi;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Map;

/**
 * What a node tells the operator once its root is ready.
 *
 * @param keySource   where the API key came from: {@code tpm} (unsealed) or {@code network} (issued while armed)
 * @param phaseMillis each boot step's duration, in boot order
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BootReport(String digest, String method, String keySource, Map<String, Long> phaseMillis) {
    public static final int MAX_PHASES = 64;
}
