package dev.mproxy.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;

/**
 * Netty's transport for this process, chosen once from {@value #PROPERTY}: {@code nio} (the default), {@code epoll}
 * (native epoll, which must then load), or {@code auto} (epoll where {@link Epoll#isAvailable()}, else NIO). The
 * native epoll library ships inside netty-all for Linux x86_64 and aarch64.
 *
 * <p>NIO stays the default because epoll in Netty 4.2.18 (the newest whose native files Maven Central serves here)
 * loses streams: when a channel's interest set falls to nothing (reading off, its {@code EPOLLRDHUP} seen, nothing
 * to write: a client that sent its bytes and its FIN before the stream was attached), {@code EpollIoHandler}
 * removes the fd from the epoll set ({@code epoll_ctl DEL}, netty/netty#16689) but keeps the registration marked
 * as added, so the next read request's {@code epoll_ctl MOD} fails with {@code ENOENT} and the stream fails
 * before a byte is read. Seen as streams echoed back empty under {@code -Dmproxy.transport=epoll}
 * (GatewayConnectorTest's 200 parallel streams: 140 of 200 failed with {@code epoll_ctl(..) failed with
 * error(-2): No such file or directory}). Until a Netty with the fix can be used, epoll is for trying only.
 */
public final class Transport {

    /** The system property that picks the transport: {@code nio} (default), {@code epoll} or {@code auto}. */
    public static final String PROPERTY = "mproxy.transport";

    private static final boolean EPOLL = epoll(System.getProperty(PROPERTY));

    private Transport() {
    }

    private static boolean epoll(String forced) {
        if (forced == null || forced.isEmpty()) {
            return false;
        }
        switch (forced.toLowerCase(Locale.ROOT)) {
            case "nio":
                return false;
            case "auto":
                return Epoll.isAvailable();
            case "epoll":
                Epoll.ensureAvailability();
                return true;
            default:
                throw new IllegalArgumentException("-D" + PROPERTY + "=" + forced + " (expected: nio, epoll or auto)");
        }
    }

    /** {@code "epoll"} or {@code "nio"}, for logs and benchmark output. */
    public static String name() {
        return EPOLL ? "epoll" : "nio";
    }

    /** A group of {@code threads} event loops; 0 takes Netty's default (twice the cores). */
    public static EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory());
    }

    /** A group of Netty's default number of event loops (twice the cores). */
    public static EventLoopGroup newGroup() {
        return newGroup(0);
    }

    private static IoHandlerFactory ioHandlerFactory() {
        return EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    /**
     * The listening channel class, for {@link ServerBootstrap#channel}; the channels it accepts use
     * {@link RecyclingAllocator}.
     */
    public static Class<? extends ServerSocketChannel> serverChannel() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocket.class;
    }

    /**
     * The connecting channel class, for {@link io.netty.bootstrap.Bootstrap#channel}; it uses
     * {@link RecyclingAllocator}.
     */
    public static Class<? extends SocketChannel> socketChannel() {
        return EPOLL ? EpollSocketChannel.class : NioSocket.class;
    }

    /**
     * NIO's connecting channel, with {@link RecyclingAllocator} (epoll's channels, for trying only, keep Netty's
     * default). Public for Netty's reflective factory.
     */
    public static final class NioSocket extends NioSocketChannel {
        public NioSocket() {
            config().setAllocator(RecyclingAllocator.INSTANCE);
        }
    }

    /** NIO's listening channel, whose accepted channels use {@link RecyclingAllocator}. Public for Netty's factory. */
    public static final class NioServerSocket extends NioServerSocketChannel {
        @Override
        protected int doReadMessages(List<Object> accepted) throws Exception {
            int count = super.doReadMessages(accepted);
            for (int i = accepted.size() - count; i < accepted.size(); i++) {
                ((Channel) accepted.get(i)).config().setAllocator(RecyclingAllocator.INSTANCE);
            }
            return count;
        }
    }

    /**
     * Binds {@code bootstrap} to {@code address} and waits for it.
     *
     * @param purpose what the port is for, said in the failure ({@code "devices"}, {@code "the TLS port
     *                (--tls-port)"}); null to say nothing more than the address
     * @throws BindException {@code cannot listen on HOST:PORT[ for PURPOSE]: REASON}, caused by Netty's failure
     */
    public static Channel bind(ServerBootstrap bootstrap, InetSocketAddress address, String purpose)
            throws InterruptedException, BindException {
        ChannelFuture bound = bootstrap.bind(address).await();
        if (!bound.isSuccess()) {
            BindException e = new BindException("cannot listen on " + address.getHostString() + ':'
                    + address.getPort() + (purpose == null ? "" : " for " + purpose) + ": "
                    + bound.cause().getMessage());
            e.initCause(bound.cause());
            throw e;
        }
        return bound.channel();
    }
}
