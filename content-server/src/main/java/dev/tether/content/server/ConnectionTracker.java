package dev.tether.content.server;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Duration;

/**
 * All open connections, so shutdown can drain them: idle ones close at once, busy ones after their
 * current response, and whatever is left when the grace period ends is cut.
 */
public final class ConnectionTracker {
    /** The user event that asks a connection to finish its exchange and close. */
    public static final Object DRAIN = new Object() {
        @Override
        public String toString() {
            return "DRAIN";
        }
    };

    private final ChannelGroup channels = new DefaultChannelGroup("connections", GlobalEventExecutor.INSTANCE);

    public void add(Channel channel) {
        channels.add(channel);
    }

    public int open() {
        return channels.size();
    }

    /** Returns true if every connection closed within the grace period. */
    public boolean drain(Duration grace) throws InterruptedException {
        for (Channel ch : channels) {
            ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(DRAIN));
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (!channels.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        boolean clean = channels.isEmpty();
        channels.close().awaitUninterruptibly(5_000);
        return clean;
    }
}
