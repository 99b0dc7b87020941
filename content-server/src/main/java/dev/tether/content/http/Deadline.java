package dev.tether.content.http;

import io.netty.channel.ChannelHandlerContext;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A timer on a connection's event loop that fires unless touched within its timeout while armed.
 * Touching only records the time; the one scheduled check re-arms itself for the remainder, so a
 * busy body stream does not schedule a task per chunk.
 */
final class Deadline {
    private final ChannelHandlerContext ctx;
    private final long timeoutNanos;
    private final Runnable onExpiry;
    private boolean armed;
    private long lastTouch;
    private ScheduledFuture<?> check;

    Deadline(ChannelHandlerContext ctx, Duration timeout, Runnable onExpiry) {
        this.ctx = ctx;
        this.timeoutNanos = timeout.toNanos();
        this.onExpiry = onExpiry;
    }

    void arm() {
        armed = true;
        lastTouch = System.nanoTime();
        if (check == null) {
            schedule(timeoutNanos);
        }
    }

    void touch() {
        lastTouch = System.nanoTime();
    }

    void disarm() {
        armed = false;
    }

    void cancel() {
        armed = false;
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }

    private void schedule(long delayNanos) {
        check = ctx.executor().schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void check() {
        check = null;
        if (!armed || !ctx.channel().isActive()) {
            return;
        }
        long left = timeoutNanos - (System.nanoTime() - lastTouch);
        if (left <= 0) {
            armed = false;
            onExpiry.run();
        } else {
            schedule(left);
        }
    }
}
