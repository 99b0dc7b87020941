package dev.tether.agent.image;

import java.time.Duration;

/**
 * How far an untethered download has come.
 *
 * @param bytesPerSecond average since the start
 * @param eta            time left at that rate; zero when done, null before the rate is known
 */
public record DownloadProgress(long bytesDone, long bytesTotal, double bytesPerSecond, Duration eta) {

    public boolean done() {
        return bytesDone >= bytesTotal;
    }

    /** One console line, e.g. {@code root image: 412 of 980 MiB (42%), 310 MiB/s, 2 s left}. */
    public String describe() {
        long percent = bytesTotal == 0 ? 100 : bytesDone * 100 / bytesTotal;
        String line = String.format("root image: %d of %d MiB (%d%%), %.0f MiB/s", bytesDone >> 20, bytesTotal >> 20, percent,
                bytesPerSecond / (1 << 20));
        if (done()) {
            return line + ", done";
        }
        return eta == null ? line : line + ", " + Math.max(1, eta.toSeconds()) + " s left";
    }
}
