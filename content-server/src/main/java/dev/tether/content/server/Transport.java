package dev.tether.content.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;

/**
 * Native epoll where its library loads, NIO otherwise. Both hand file regions to sendfile(2); epoll
 * saves the selector's per-wakeup garbage and allows edge-triggered reads.
 */
public record Transport(String name, IoHandlerFactory ioHandlers, Class<? extends ServerChannel> serverChannel,
                        Class<? extends Channel> clientChannel) {

    public static Transport best() {
        if (isEpollAvailable()) {
            return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel.class);
        }
        return nio();
    }

    public static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
    }

    /** Why epoll is not used, for the startup log line; null when it is. */
    public static String epollUnavailableReason() {
        try {
            Throwable cause = Epoll.unavailabilityCause();
            return cause == null ? null : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        } catch (LinkageError e) {
            return e.toString();
        }
    }

    /** For the startup log: the transport, and why not epoll when it is not. */
    public String describe() {
        String why = name.equals("epoll") ? null : epollUnavailableReason();
        return why == null ? name + " transport" : name + " transport (epoll unavailable: " + why + ")";
    }

    private static boolean isEpollAvailable() {
        try {
            return Epoll.isAvailable();
        } catch (LinkageError e) {
            return false;
        }
    }

    /**
     * Marks a listening socket's own packets, the SYN-ACKs that answer its connections, with the IP TOS {@code tos}
     * (and the traffic class, where the socket is IPv6): Linux sends a SYN-ACK with its listener's TOS, and the
     * connections it accepts start with it too. Neither of Netty's server socket configs takes
     * {@code ChannelOption.IP_TOS}, so on epoll the option is set by its number.
     *
     * @return whether the socket took it: not on the NIO transport, whose socket this cannot reach
     */
    public static boolean markListener(Channel listener, int tos) {
        // <netinet/in.h>: IPPROTO_IP 0, IP_TOS 1; IPPROTO_IPV6 41, IPV6_TCLASS 67. An epoll socket is IPv6 (dual
        // stack) wherever the host has IPv6; Linux takes IP_TOS on those too, and uses it for their IPv4 peers.
        if (!listener.config().setOption(new IntegerUnixChannelOption("IP_TOS", 0, 1), tos)) {
            return false;
        }
        try {
            listener.config().setOption(new IntegerUnixChannelOption("IPV6_TCLASS", 41, 67), tos);
        } catch (ChannelException notIpv6) {
            // An IPv4 socket has no traffic class: its TOS is all there is.
        }
        return true;
    }

    public EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlers);
    }
}
