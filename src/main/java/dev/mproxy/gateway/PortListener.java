package dev.mproxy.gateway;

import dev.mproxy.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
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

    PortListener(int port, String bindHost, EventLoop accepting, EventLoopGroup workers, GatewayGuards guards,
                 ClusterMember cluster) {
        this.port = port;
        this.guards = guards;
        this.cluster = cluster;
        bound = new ServerBootstrap().group(accepting, workers).channel(Transport.serverChannel())
                .handler(new OntoDeviceLoop())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        configure(ch.config());
                        accept(ch, sessions.pick());
                    }
                })
                .bind(bindHost, port);
    }

    /**
     * Registers each accepted connection on the event loop of the device that takes it, where its stream and relay
     * run, instead of on any worker: a connection then crosses no thread between its accept and its first byte
     * (on a worker, the stream's open and the move to the tunnel's loop took four hand-overs, issue 16). A port no
     * device of this node holds leaves the connection to the bootstrap's own acceptor (a worker, then the cluster).
     */
    private final class OntoDeviceLoop extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel child = (Channel) msg;
            DeviceSession session = sessions.pick();
            if (session == null) {
                ctx.fireChannelRead(msg);
                return;
            }
            configure(child.config());
            session.channel().eventLoop().register(child).addListener((ChannelFutureListener) registered -> {
                if (registered.isSuccess()) {
                    accept(child, session);
                } else {
                    child.unsafe().closeForcibly(); // the device's loop is stopping
                }
            });
        }
    }

    /** Completes when the port listens, or fails with why it cannot. */
    ChannelFuture bound() {
        return bound;
    }

    /** A public connection's options, on either way in. */
    private static void configure(ChannelConfig config) {
        config.setAutoRead(false); // read only once the stream is open
        config.setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        config.setOption(ChannelOption.TCP_NODELAY, true);
    }

    private void accept(Channel ch, DeviceSession session) {
        if (!guards.admitPublic(ch)) {
            return;
        }
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
