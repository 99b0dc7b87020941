package dev.tether.imgutil.util;

/**
 * Progress of one step measured in bytes. On a terminal it redraws one line at most ten times a second;
 * in a log it writes a line every 10% so that a Job's log shows movement without flooding.
 */
public final class Progress {
    private static final long REDRAW_NANOS = 100_000_000L;

    private final Console console;
    private final String label;
    private final long total;
    private final long started = System.nanoTime();
    private long done;
    private long lastDraw;
    private int lastLoggedTenth = -1;

    Progress(Console console, String label, long total) {
        this.console = console;
        this.label = label;
        this.total = total;
        if (!console.terminal()) {
            console.info(label + ": " + mib(total) + " MiB");
        }
    }

    public void advance(long bytes) {
        done += bytes;
        long now = System.nanoTime();
        if (console.terminal()) {
            if (now - lastDraw >= REDRAW_NANOS) {
                lastDraw = now;
                console.printProgressLine(line(), false);
            }
        } else if (total > 0) {
            int tenth = (int) Math.min(10, done * 10 / total);
            if (tenth > lastLoggedTenth && tenth < 10) {
                lastLoggedTenth = tenth;
                console.info(label + ": " + tenth * 10 + "%");
            }
        }
    }

    public void finish() {
        double seconds = (System.nanoTime() - started) / 1e9;
        String summary = String.format("%s: %d MiB in %.1f s", label, mib(done), seconds);
        if (console.terminal()) {
            console.printProgressLine(summary + " ".repeat(20), true);
        } else {
            console.info(summary);
        }
    }

    private String line() {
        int percent = total > 0 ? (int) (done * 100 / total) : 100;
        return String.format("%s: %3d%% %d/%d MiB", label, percent, mib(done), mib(total));
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }
}
