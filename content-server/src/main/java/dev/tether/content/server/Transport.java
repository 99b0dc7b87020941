package dev.tether.content.server;

import io.netty.channel.Channel;
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

    public EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlers);
    }
}
