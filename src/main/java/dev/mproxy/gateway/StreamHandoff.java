package dev.mproxy.gateway;

import dev.mproxy.relay.EventLoops;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;

/** Where a router of the shared TLS and HTTP ports ends: the connection becomes a stream to its device. */
final class StreamHandoff {

    private StreamHandoff() {
    }

    /**
     * Hands the connection of {@code ctx} to {@code device} as a stream of {@code service} for {@code name}.
     * Everything the router buffered (the ClientHello or request head, and whatever followed it) is taken from
     * {@code buffered} and sent unchanged as the stream's first data; the router leaves the pipeline, and
     * reading stops until the tunnel has attached the stream, on the tunnel's event loop.
     */
    static void toDevice(ChannelHandlerContext ctx, ByteBuf buffered, DeviceSession device, String service,
                         int servicePort, String name) {
        ctx.channel().config().setAutoRead(false);
        ByteBuf first = buffered.readRetainedSlice(buffered.readableBytes());
        ctx.pipeline().remove(ctx.handler());
        Channel channel = ctx.channel();
        if (channel.eventLoop() == device.channel().eventLoop()) {
            device.openPublicStream(channel, service, servicePort, name, first); // stays where it is
            return;
        }
        // off this loop here, so that the tunnel's loop takes it in the task that opens the stream
        EventLoops.release(channel).addListener(released ->
                device.openPublicStream(channel, service, servicePort, name, first));
    }

    /** As {@link #toDevice}, to a device of another node, over the node tunnel to it (cluster 5.1). */
    static void toCluster(ChannelHandlerContext ctx, ByteBuf buffered, ClusterMember cluster, String service,
                          int servicePort, String name) {
        ctx.channel().config().setAutoRead(false);
        ByteBuf first = buffered.readRetainedSlice(buffered.readableBytes());
        ctx.pipeline().remove(ctx.handler());
        cluster.carryNamed(ctx.channel(), service, servicePort, name, first);
    }
}
