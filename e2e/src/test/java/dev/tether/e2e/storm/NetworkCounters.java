package dev.tether.e2e.storm;

import dev.tether.dev.Commands;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the storm's network namespace did, from the kernel's own counters: TCP's segments sent and sent again, its
 * retransmission timeouts (each one a connection that waited at least 200 ms), listen queue overflows, and the
 * packets the links' queues dropped. A time to root far above the bandwidth bound with the links not full is a loss
 * problem when these say so, and something else when they do not.
 */
record NetworkCounters(long segmentsSent, long segmentsRetransmitted, long timeouts, long listenOverflows,
                       long queueDrops) {
    private static final Pattern DROPPED = Pattern.compile("dropped (\\d+)");

    /** The counters now: /proc/net/snmp and /proc/net/netstat of this namespace, and tc's qdisc statistics on lo. */
    static NetworkCounters read() throws IOException, InterruptedException {
        Map<String, Long> snmp = counters(Path.of("/proc/net/snmp"));
        Map<String, Long> netstat = counters(Path.of("/proc/net/netstat"));
        return new NetworkCounters(snmp.getOrDefault("Tcp.OutSegs", 0L), snmp.getOrDefault("Tcp.RetransSegs", 0L),
                netstat.getOrDefault("TcpExt.TCPTimeouts", 0L), netstat.getOrDefault("TcpExt.ListenOverflows", 0L),
                leafQueueDrops());
    }

    NetworkCounters minus(NetworkCounters before) {
        return new NetworkCounters(segmentsSent - before.segmentsSent, segmentsRetransmitted - before.segmentsRetransmitted,
                timeouts - before.timeouts, listenOverflows - before.listenOverflows, queueDrops - before.queueDrops);
    }

    String describe() {
        return String.format(Locale.ROOT, "TCP segments %d, retransmitted %d (%.2f%%), retransmission timeouts %d, listen"
                        + " queue overflows %d; packets the links' queues dropped %d", segmentsSent, segmentsRetransmitted,
                100.0 * segmentsRetransmitted / Math.max(1, segmentsSent), timeouts, listenOverflows, queueDrops);
    }

    /**
     * Pairs of lines, a header of names and a line of values, each starting with the same prefix ("Tcp:"), as the
     * kernel writes /proc/net/snmp and /proc/net/netstat.
     */
    static Map<String, Long> counters(Path file) throws IOException {
        Map<String, Long> counters = new HashMap<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        for (int i = 0; i + 1 < lines.size(); i += 2) {
            String[] names = lines.get(i).split("\\s+");
            String[] values = lines.get(i + 1).split("\\s+");
            String prefix = names[0].substring(0, names[0].length() - 1);
            for (int k = 1; k < Math.min(names.length, values.length); k++) {
                try {
                    counters.put(prefix + "." + names[k], Long.parseLong(values[k]));
                } catch (NumberFormatException e) {
                    // A counter that is not a number here (none is, today) is not one this reads.
                }
            }
        }
        return counters;
    }

    /** Packets dropped by the qdiscs on lo below the root (the links' own queues); 0 when lo is not shaped. */
    private static long leafQueueDrops() throws IOException, InterruptedException {
        String out = Commands.run("tc", "-s", "qdisc", "show", "dev", "lo");
        long drops = 0;
        boolean leaf = false;
        for (String line : out.split("\n")) {
            if (line.startsWith("qdisc ")) {
                leaf = line.contains(" parent ") && !line.contains(" root ");
            }
            Matcher dropped = DROPPED.matcher(line);
            if (leaf && dropped.find()) {
                drops += Long.parseLong(dropped.group(1));
            }
        }
        return drops;
    }
}
