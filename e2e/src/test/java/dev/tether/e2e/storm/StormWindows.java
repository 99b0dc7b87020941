package dev.tether.e2e.storm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What a storm's links and this machine's CPUs did, window by window: the bytes each server's shaped link (an HTB
 * class on the namespace's loopback) sent in a window against what its rate allows, the share of the window the
 * CPUs were busy, and each part's share of them (the simulated nodes, the operator, the edges…). It says where the
 * storm is bound at each moment: links near 100% are the bandwidth bound; links well below it with nodes still
 * waiting are held by something else, and CPUs near 100% say it is this machine (the simulated nodes share its two
 * cores with the servers), and whose use of them.
 *
 * @param windowMillis the sampling period; each share is of the time that really passed between two samples
 *                     (and of all the machine's CPUs, for a part's)
 * @param windows      one per pair of consecutive samples
 */
record StormWindows(long windowMillis, List<Window> windows) {
    /** The class tc sends unshaped traffic to (StormBench's default class), which is not a server's link. */
    static final String DEFAULT_CLASS = "1:ffff";
    private static final Pattern CLASS = Pattern.compile("^class htb (\\S+) .*?\\brate (\\S+bit)\\b");
    private static final Pattern SENT = Pattern.compile("^\\s*Sent (\\d+) bytes");

    /** One link at one moment: the bytes its class has sent, and its rate. */
    record Counter(long bytes, long bitsPerSecond) {
    }

    /**
     * Every link's counter, the machine's CPU ticks (busy, all: /proc/stat's first line), and the CPU time each part of
     * the storm has used (the nodes' JVM, the operator, the edges…), read at {@code nanos} ({@link System#nanoTime()}).
     */
    record Sample(long nanos, Map<String, Counter> links, long busyTicks, long allTicks, Map<String, Long> cpuNanos) {
    }

    /**
     * One window: each of the storm's links' share of its rate used (0 to 1), the CPUs' busy share, and
     * each part's share of the machine's CPUs.
     */
    record Window(double[] links, double cpu, Map<String, Double> parts) {
        double meanLinks() {
            double sum = 0;
            for (double share : links) {
                sum += share;
            }
            return links.length == 0 ? 0 : sum / links.length;
        }
    }

    /** Each shaped link's counter in {@code tc -s class show dev lo}'s output, in its order; not the default class. */
    static Map<String, Counter> parse(String tcOutput) {
        Map<String, Counter> links = new LinkedHashMap<>();
        String id = null;
        long rate = 0;
        for (String line : tcOutput.split("\n")) {
            Matcher head = CLASS.matcher(line);
            if (head.find()) {
                id = head.group(1);
                rate = (long) (StormBench.linkBytesPerSecond(head.group(2)) * 8);
                continue;
            }
            Matcher sent = SENT.matcher(line);
            if (id != null && sent.find()) {
                if (!id.equals(DEFAULT_CLASS)) {
                    links.put(id, new Counter(Long.parseLong(sent.group(1)), rate));
                }
                id = null;
            }
        }
        return links;
    }

    /**
     * The windows between consecutive samples, taken about {@code windowMillis} apart, of the links named: this storm's
     * servers' (the baseline's link idles through a Tether storm, and Tether's edges' through the baseline's).
     *
     * @param cpus  the machine's CPUs, of which each part's share is reckoned
     * @param links the HTB classes of this storm's servers' links
     */
    static StormWindows of(long windowMillis, int cpus, List<String> links, List<Sample> samples) {
        List<Window> windows = new ArrayList<>();
        for (int i = 1; i < samples.size(); i++) {
            Sample before = samples.get(i - 1);
            Sample after = samples.get(i);
            double seconds = (after.nanos() - before.nanos()) / 1e9;
            double[] shares = new double[links.size()];
            for (int k = 0; k < links.size(); k++) {
                Counter now = after.links().get(links.get(k));
                if (now == null) {
                    continue;
                }
                Counter then = before.links().getOrDefault(links.get(k), new Counter(0, now.bitsPerSecond()));
                double allowed = now.bitsPerSecond() / 8.0 * seconds;
                shares[k] = allowed <= 0 ? 0 : (now.bytes() - then.bytes()) / allowed;
            }
            long ticks = after.allTicks() - before.allTicks();
            double cpu = ticks <= 0 ? 0 : (double) (after.busyTicks() - before.busyTicks()) / ticks;
            Map<String, Double> parts = new LinkedHashMap<>();
            for (var part : after.cpuNanos().entrySet()) {
                long spent = part.getValue() - before.cpuNanos().getOrDefault(part.getKey(), part.getValue());
                parts.put(part.getKey(), seconds <= 0 ? 0 : spent / (seconds * 1e9 * cpus));
            }
            windows.add(new Window(shares, cpu, parts));
        }
        return new StormWindows(windowMillis, List.copyOf(windows));
    }

    /**
     * A line each, in percent per window: the links together (each window's mean share), the CPUs, and each part's
     * share of them, e.g. "5 s windows, links % of their rate: 97 98 51", "5 s windows, CPUs % busy: 100 99 60",
     * "  of which nodes: 40 41 30".
     */
    List<String> describe() {
        if (windows.isEmpty()) {
            return List.of("no window sampled");
        }
        String window = windowMillis / 1000 + " s windows, ";
        List<String> lines = new ArrayList<>(List.of(line(window + "links % of their rate", Window::meanLinks),
                line(window + "CPUs % busy", Window::cpu)));
        for (String part : windows.get(0).parts().keySet()) {
            lines.add(line("  of which " + part, w -> w.parts().getOrDefault(part, 0.0)));
        }
        return lines;
    }

    private String line(String label, ToDoubleFunction<Window> share) {
        return label + ": " + windows.stream().map(w -> String.valueOf(Math.round(100 * share.applyAsDouble(w))))
                .collect(Collectors.joining(" "));
    }
}
