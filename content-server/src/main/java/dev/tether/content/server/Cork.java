package dev.tether.content.server;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;

/**
 * TCP_CORK around one response, as nginx's {@code tcp_nopush}: the response head and the start of a
 * sendfile body leave in full segments instead of a small head packet of their own, which costs the
 * client a wake-up per response. Uncorking pushes out the last partial segment at once. Only the epoll
 * transport can cork; elsewhere both calls do nothing.
 */
public final class Cork {
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
