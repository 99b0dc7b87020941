package dev.tether.e2e.storm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What a storm's links and this machine's CPUs did, window by window: the bytes each server's shaped link (an HTB
 * class on the namespace's loopback) sent in a window against what its rate allows, and the share of the window the
 * CPUs were busy. It says where the storm is bound at each moment: links near 100% are the bandwidth bound; links
 * well below it with nodes still waiting are held by something else, and CPUs near 100% say it is this machine (the
 * simulated nodes share its two cores with the servers), not the servers' design.
 *
 * @param windowMillis the sampling period; each share is of the time that really passed between two samples
 * @param windows      one per pair of consecutive samples
 */
record StormWindows(long windowMillis, List<Window> windows) {
    /** The class tc sends unshaped traffic to (StormBench's default class), which is not a server's link. */
    static final String DEFAULT_CLASS = "1:ffff";
    private static final Pattern CLASS = Pattern.compile("^class htb (\\S+) .*?\\brate (\\d+(?:\\.\\d+)?)([KMG]?)bit\\b");
    private static final Pattern SENT = Pattern.compile("^\\s*Sent (\\d+) bytes");

    /** One link at one moment: the bytes its class has sent, and its rate. */
    record Counter(long bytes, long bitsPerSecond) {
    }

    /**
     * Every link's counter and the machine's CPU ticks (busy, all: /proc/stat's first line), read at {@code nanos}
     * ({@link System#nanoTime()}).
     */
    record Sample(long nanos, Map<String, Counter> links, long busyTicks, long allTicks) {
    }

    /** One window: each link's share of its rate used (0 to 1, in the order tc lists them), and the CPUs' busy share. */
    record Window(double[] links, double cpu) {
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
                rate = bits(head.group(2), head.group(3));
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

    private static long bits(String number, String unit) {
        double value = Double.parseDouble(number);
        return (long) switch (unit) {
            case "K" -> value * 1e3;
            case "M" -> value * 1e6;
            case "G" -> value * 1e9;
            default -> value;
        };
    }

    /**
     * The windows between consecutive samples, taken about {@code windowMillis} apart. Only the links that sent
     * anything between the first sample and the last are this storm's: the baseline's link idles through a Tether
     * storm, and Tether's edges' through the baseline's.
     */
    static StormWindows of(long windowMillis, List<Sample> samples) {
        List<Window> windows = new ArrayList<>();
        if (samples.isEmpty()) {
            return new StormWindows(windowMillis, List.of());
        }
        Map<String, Counter> first = samples.get(0).links();
        List<String> used = samples.get(samples.size() - 1).links().entrySet().stream()
                .filter(link -> link.getValue().bytes() > first.getOrDefault(link.getKey(), new Counter(0, 0)).bytes())
                .map(Map.Entry::getKey)
                .toList();
        for (int i = 1; i < samples.size(); i++) {
            Sample before = samples.get(i - 1);
            Sample after = samples.get(i);
            double seconds = (after.nanos() - before.nanos()) / 1e9;
            double[] shares = new double[used.size()];
            for (int k = 0; k < used.size(); k++) {
                Counter now = after.links().get(used.get(k));
                Counter then = before.links().getOrDefault(used.get(k), new Counter(0, now.bitsPerSecond()));
                double allowed = now.bitsPerSecond() / 8.0 * seconds;
                shares[k] = allowed <= 0 ? 0 : (now.bytes() - then.bytes()) / allowed;
            }
            long ticks = after.allTicks() - before.allTicks();
            double cpu = ticks <= 0 ? 0 : (double) (after.busyTicks() - before.busyTicks()) / ticks;
            windows.add(new Window(shares, cpu));
        }
        return new StormWindows(windowMillis, List.copyOf(windows));
    }

    /**
     * Two lines: the links together (each window's mean share) and the CPUs, in percent, e.g.
     * "5 s windows, links % of their rate: 97 98 51" and "5 s windows, CPUs % busy: 100 99 60".
     */
    List<String> describe() {
        if (windows.isEmpty()) {
            return List.of("no window sampled");
        }
        return List.of(line("links % of their rate", Window::meanLinks), line("CPUs % busy", Window::cpu));
    }

    private String line(String what, ToDoubleFunction<Window> share) {
        return String.format(Locale.ROOT, "%d s windows, %s: %s", windowMillis / 1000, what,
                windows.stream().map(w -> String.valueOf(Math.round(100 * share.applyAsDouble(w))))
                        .collect(Collectors.joining(" ")));
    }
}
