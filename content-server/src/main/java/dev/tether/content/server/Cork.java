package dev.tether.content.server;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;

/**
 * TCP_CORK around one response, as nginx's {@code tcp_nopush}: the response head and a small sendfile body
 * leave in one segment instead of a small head packet of their own, which costs the client a wake-up per
 * response. Uncorking pushes out the last partial segment at once. Only the epoll transport can cork;
 * elsewhere both calls do nothing.
 *
 * <p>Not around large bodies. There the head's own packet is one in hundreds, and the cork is dear: in
 * {@code content-server/bench/run.sh} (random 1 MiB ranges over loopback, 2026-12-03) a corked edge spent 2.5
 * times the CPU per response and had twice the latency of an uncorked one (p50 23 against 13 ms, p99 56 against
 * 32 ms), and nginx the same with {@code tcp_nopush} on and off (p50 28 and 13 ms, p99 47 and 32 ms): a corked
 * socket sent the whole body through the software network path inside the server's {@code sendfile} and
 * uncork, where an uncorked one lets the kernel's small-queue and autocorking pace it. The storm's links (shaped
 * on loopback) take that path too.
 */
public final class Cork {
    /** Bodies up to this many bytes are corked with their head: one loopback or TSO segment's worth. */
    public static final long MAX_BODY_BYTES = 64 * 1024;

    private Cork() {
    }

    /** Call on the channel's event loop, before the response's first write. */
    public static void cork(Channel channel) {
        if (channel instanceof EpollSocketChannel epoll && channel.isActive()) {
            epoll.config().setTcpCork(true);
        }
    }

    /** Call on the channel's event loop, right after the response's flush. */
    public static void uncork(Channel channel) {
        if (channel instanceof EpollSocketChannel epoll && channel.isActive()) {
            epoll.config().setTcpCork(false);
        }
    }
}
