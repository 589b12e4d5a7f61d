package dev.mproxy.gateway;

import dev.mproxy.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;

/**
 * One public TCP port: while at least one device is granted it, the gateway listens, and each connection
 * becomes a stream on the next device in turn (round-robin). Sessions are added and removed by the registry.
 */
final class PortListener {

    private final int port;
    private final RoundRobin sessions = new RoundRobin();
    private final ChannelFuture bound;
    private final GatewayGuards guards;

    PortListener(int port, String bindHost, EventLoopGroup boss, EventLoopGroup workers, GatewayGuards guards) {
        this.port = port;
        this.guards = guards;
        bound = new ServerBootstrap().group(boss, workers).channel(Transport.serverChannel())
                .childOption(ChannelOption.AUTO_READ, false) // read only once the stream is open
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accept(ch);
                    }
                })
                .bind(bindHost, port);
    }

    /** Completes when the port listens, or fails with why it cannot. */
    ChannelFuture bound() {
        return bound;
    }

    private void accept(Channel ch) {
        if (!guards.admitPublic(ch)) {
            return;
        }
        DeviceSession session = sessions.pick();
        if (session == null) {
            ch.close();
            return;
        }
        session.openPublicStream(ch, "tcp", port, "", null);
    }

    /** The devices granted this port. */
    RoundRobin sessions() {
        return sessions;
    }

    /** Stops listening (or cancels a bind still under way). */
    ChannelFuture close() {
        return bound.channel().close();
    }

    int port() {
        return port;
    }
}
