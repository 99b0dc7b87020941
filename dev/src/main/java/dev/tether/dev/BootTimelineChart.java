package dev.tether.dev;

import dev.tether.api.v1alpha1.NodeCredential;
import java.util.Locale;
import java.util.Map;

/**
 * A node's last boot as a timeline, one bar per phase in the order the agent ran them, each starting where the one
 * before ended: what {@code ./tether-dev timeline NODE} and {@code ./tether-dev up} print, from the NodeCredential's
 * {@code status.lastBoot}.
 */
public final class BootTimelineChart {
    static final int WIDTH = 48;

    private BootTimelineChart() {
    }

    public static String render(NodeCredential credential) {
        String node = credential.getSpec() == null ? credential.getMetadata().getName() : credential.getSpec().nodeName;
        var boot = credential.getStatus() == null ? null : credential.getStatus().lastBoot;
        if (boot == null) {
            return node + ": no boot reported yet\n";
        }
        Map<String, Long> phases = boot.phaseMillis;
        long total = phases.values().stream().mapToLong(Long::longValue).sum();
        int nameWidth = phases.keySet().stream().mapToInt(String::length).max().orElse(0);
        var out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%s  %s  booted %s  %s, key from %s%n", node, boot.shortDigest, boot.bootedAt,
                seconds(total), boot.keySource == null ? "?" : boot.keySource.name().toLowerCase(Locale.ROOT)));
        long elapsed = 0;
        for (var phase : phases.entrySet()) {
            int start = column(elapsed, total);
            elapsed += phase.getValue();
            int end = Math.max(column(elapsed, total), start + (phase.getValue() > 0 ? 1 : 0));
            out.append(String.format(Locale.ROOT, "  %-" + nameWidth + "s %7s |%s%s%s|%n", phase.getKey(), seconds(phase.getValue()),
                    " ".repeat(start), "#".repeat(end - start), " ".repeat(Math.max(0, WIDTH - end))));
        }
        if (boot.fetch != null) {
            out.append(String.format(Locale.ROOT, "  fetched %.1f MiB in %d requests (%d hedged, %d failed, %d failed verification)%n",
                    boot.fetch.bytes / 1048576.0, boot.fetch.requests, boot.fetch.hedges, boot.fetch.edgeFailures, boot.fetch.integrityFailures));
            if (boot.fetch.usefulBytes != null && boot.fetch.wastedBytes != null) {
                out.append(String.format(Locale.ROOT, "  of which the boot needed %.1f MiB, %.1f MiB wasted%n",
                        boot.fetch.usefulBytes / 1048576.0, boot.fetch.wastedBytes / 1048576.0));
            }
        }
        return out.toString();
    }

    private static int column(long millis, long total) {
        return total == 0 ? 0 : (int) Math.min(WIDTH, Math.round((double) millis * WIDTH / total));
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}
