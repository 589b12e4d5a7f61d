package dev.mproxy.gateway;

import dev.mproxy.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.util.function.IntFunction;

/**
 * One of the gateway's shared public ports, routed by name: the TLS port by SNI, the HTTP port by Host
 * (protocol-spec/routing.md). It listens from start to stop, whichever devices are connected; each connection
 * gets a fresh router, made for the port's number.
 */
final class RoutedPort {

    private final Channel channel;

    RoutedPort(Channel channel) {
        this.channel = channel;
    }

    /**
     * A server for such a port: each connection gets a router from {@code routers}, given the port's number.
     * The router reads (autoRead stays on) until the route is known, then hands the connection over. A connection
     * {@code guards} do not admit is closed at once (limits 2.1).
     * <p>
     * Connections stay on the {@code accepting} loop until routed: the route names the tunnel, whose loop serves
     * them after, so a first move to a worker would be a hand-over between threads for nothing: most of the 13 %
     * of the gateway's CPU per close-mode request saved in bench/README.md, "Third pass". A connection routed to
     * the device on this loop ({@link DevicePlacement}) is not moved at all.
     */
    static ServerBootstrap bootstrap(EventLoop accepting, GatewayGuards guards, IntFunction<ChannelHandler> routers) {
        return new ServerBootstrap().group(accepting).channel(Transport.serverChannel())
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (!guards.admitPublic(ch)) {
                            return;
                        }
                        ch.pipeline().addLast(routers.apply(((InetSocketAddress) ch.localAddress()).getPort()));
                    }
                });
    }

    InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    void close() {
        channel.close().syncUninterruptibly();
    }
}
