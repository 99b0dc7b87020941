package dev.tether.agent.trace;

import java.time.Duration;

/**
 * When a boot's read trace ends: once the node has gone quiet after the hand-off to the image's init (no page of the
 * image read for the first time in {@code quiet}), and at the latest {@code maxAfterHandOff} after the hand-off.
 * The quiet time is long enough to span a login: under emulation systemd reaches sshd and a login well inside
 * 30 s of reading nothing new, and a node that keeps reading (a service walking the disk) is cut off by the bound,
 * so the trace stays the boot's, not the workload's.
 */
public record TraceWindow(Duration quiet, Duration maxAfterHandOff) {
    public static final TraceWindow DEFAULT = new TraceWindow(Duration.ofSeconds(30), Duration.ofSeconds(300));

    /** True when the recording should stop at {@code nowNanos}. */
    public boolean closed(long handOffNanos, long lastFirstReadNanos, long nowNanos) {
        if (nowNanos - handOffNanos >= maxAfterHandOff.toNanos()) {
            return true;
        }
        return nowNanos - Math.max(handOffNanos, lastFirstReadNanos) >= quiet.toNanos();
    }
}
