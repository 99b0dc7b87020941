package dev.tether.e2e.storm;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Time to root (p50 and p99) against the number of nodes, Tether and the baseline, as an SVG written from the storm's
 * own results: no plotting library, nothing fetched. When a system was run more than once at one N, the last run
 * counts.
 */
public final class ScalePlot {
    private static final int WIDTH = 720;
    private static final int HEIGHT = 440;
    private static final int LEFT = 70;
    private static final int RIGHT = 190;
    private static final int TOP = 40;
    private static final int BOTTOM = 60;

    private record Series(String label, String system, boolean p99, String colour, String dash) {
    }

    private static final List<Series> SERIES = List.of(
            new Series("Tether p50", StormRun.TETHER, false, "#1f77b4", ""),
            new Series("Tether p99", StormRun.TETHER, true, "#1f77b4", "6,4"),
            new Series("baseline p50", StormRun.BASELINE, false, "#d62728", ""),
            new Series("baseline p99", StormRun.BASELINE, true, "#d62728", "6,4"));

    private ScalePlot() {}

    public static String svg(List<StormRun> runs, String title) {
        List<StormRun> latest = latestPerSystemAndN(runs);
        int maxNodes = latest.stream().mapToInt(StormRun::nodes).max().orElse(1);
        double maxSeconds = latest.stream().mapToLong(r -> r.timeToRoot().p99()).max().orElse(1000) / 1000.0;
        double yTop = niceCeiling(Math.max(1, maxSeconds));
        double xTop = niceCeiling(maxNodes);
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"14\">%s</text>%n", LEFT, escape(title)));
        int plotRight = WIDTH - RIGHT;
        int plotBottom = HEIGHT - BOTTOM;
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", LEFT, plotBottom, plotRight, plotBottom));
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", LEFT, TOP, LEFT, plotBottom));
        for (int i = 0; i <= 5; i++) {
            double value = yTop * i / 5;
            double y = y(value, yTop);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", LEFT, y, plotRight, y));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 6, y + 4, label(value)));
            double nodes = xTop * i / 5;
            double x = x(nodes, xTop);
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x, plotBottom + 18, label(nodes)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">nodes booting at once (N)</text>%n",
                (LEFT + plotRight) / 2, plotBottom + 40));
        svg.append(String.format(Locale.ROOT, "<text transform=\"translate(18 %d) rotate(-90)\" text-anchor=\"middle\">time to root (s)</text>%n",
                (TOP + plotBottom) / 2));
        int legendY = TOP + 10;
        for (Series series : SERIES) {
            List<StormRun> points = latest.stream().filter(r -> r.system().equals(series.system()))
                    .sorted(Comparator.comparingInt(StormRun::nodes)).toList();
            StringBuilder path = new StringBuilder();
            for (StormRun run : points) {
                double x = x(run.nodes(), xTop);
                double y = y((series.p99() ? run.timeToRoot().p99() : run.timeToRoot().p50()) / 1000.0, yTop);
                path.append(path.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
                svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n", x, y, series.colour()));
            }
            if (!points.isEmpty()) {
                svg.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>%n",
                        path, series.colour(), series.dash().isEmpty() ? "" : " stroke-dasharray=\"" + series.dash() + "\""));
            }
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>%n",
                    plotRight + 15, legendY, plotRight + 45, legendY, series.colour(),
                    series.dash().isEmpty() ? "" : " stroke-dasharray=\"" + series.dash() + "\""));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", plotRight + 52, legendY + 4, series.label()));
            legendY += 20;
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    static List<StormRun> latestPerSystemAndN(List<StormRun> runs) {
        List<StormRun> latest = new ArrayList<>();
        for (StormRun run : runs) {
            latest.removeIf(r -> r.system().equals(run.system()) && r.nodes() == run.nodes());
            latest.add(run);
        }
        return latest;
    }

    private static double x(double nodes, double xTop) {
        return LEFT + (WIDTH - RIGHT - LEFT) * nodes / xTop;
    }

    private static double y(double seconds, double yTop) {
        return HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * seconds / yTop;
    }

    /** 1, 2 or 5 times a power of ten, at or above {@code value}. */
    static double niceCeiling(double value) {
        double power = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 2, 5, 10}) {
            if (step * power >= value) {
                return step * power;
            }
        }
        return 10 * power;
    }

    private static String label(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : String.format(Locale.ROOT, "%.1f", value);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
