package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialStatus.KeySource;
import dev.tether.api.v1alpha1.NodeCredentialStatus.LastBoot;
import dev.tether.operator.EventRecorder;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The events of a boot report, on the node's NodeCredential: {@code Booted} (Normal) for every boot, with the version
 * and how long each phase took; and {@code BootFetchFailures} (Warning) when the agent saw answers fail verification
 * or edges fail, which point at a damaged copy or an edge that is down, before nodes stop booting.
 */
final class BootEvents {
    static final String BOOTED = "Booted";
    static final String FETCH_FAILURES = "BootFetchFailures";

    private BootEvents() {}

    static void record(EventRecorder events, NodeCredential credential, String method, LastBoot boot) {
        events.record(credential, EventRecorder.Type.Normal, BOOTED, booted(method, boot));
        var fetch = boot.fetch;
        if (fetch != null && (fetch.integrityFailures > 0 || fetch.edgeFailures > 0)) {
            events.record(credential, EventRecorder.Type.Warning, FETCH_FAILURES, "Booted " + boot.shortDigest + ", but "
                    + count(fetch.integrityFailures, "answer", "answers") + " from edges failed verification (a damaged copy on an edge"
                    + " or on the way) and " + count(fetch.edgeFailures, "request", "requests") + " to edges failed (refused, stalled"
                    + " or answered wrongly). status.lastBoot.fetch has the counts; the edges' logs and metrics say which edge.");
        }
    }

    static String booted(String method, LastBoot boot) {
        long total = boot.phaseMillis.values().stream().mapToLong(Long::longValue).sum();
        String phases = boot.phaseMillis.entrySet().stream()
                .map(p -> p.getKey() + " " + seconds(p.getValue()))
                .collect(Collectors.joining(", "));
        return "Booted " + boot.shortDigest + " (" + method + ", key from " + (boot.keySource == KeySource.TPM ? "the TPM" : "the network")
                + ")" + (phases.isEmpty() ? "." : " in " + seconds(total) + ": " + phases + ".");
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1fs", millis / 1000.0);
    }

    private static String count(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }
}
