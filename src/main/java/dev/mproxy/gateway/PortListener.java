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
 * becomes a stream on the next device in turn (round-robin). Sessions are added and removed by the registry. In
 * a cluster, a port whose devices are all on other nodes listens too, and its connections go to them.
 */
final class PortListener {

    private final int port;
    private final RoundRobin sessions = new RoundRobin();
    private final ChannelFuture bound;
    private final GatewayGuards guards;
    private final ClusterMember cluster;

    PortListener(int port, String bindHost, EventLoopGroup boss, EventLoopGroup workers, GatewayGuards guards,
                 ClusterMember cluster) {
        this.port = port;
        this.guards = guards;
        this.cluster = cluster;
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
            if (cluster != null) {
                cluster.carry(ch, port); // a device of another node holds it (cluster 3.2)
            } else {
                ch.close();
            }
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
