package dev.mproxy.gateway;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;

/**
 * Chooses the event loop of each connection on the device port, in the device listener's pipeline on the
 * accepting loop. The accepting loop, which accepts every public connection and reads the routed ones until their
 * route is known, serves one device connection at a time: that device's public connections then never cross a
 * thread (issue 16, bench/README.md "Fifth pass"), which is every connection when one device serves the gateway.
 * The others go to the other workers in turn, as Netty's acceptor would place them. The place is held from the
 * connection's accept to its close, so a burst of devices connecting at once puts one of them there, not all.
 */
final class DevicePlacement extends ChannelInboundHandlerAdapter {

    private final EventLoop accepting;
    private final EventLoopGroup workers;
    private final ChannelHandler childHandler;
    /** The device connection on the accepting loop, or null; read and written on that loop only. */
    private Channel tenant;

    /**
     * @param accepting    the loop of the device listener itself, one of {@code workers}
     * @param childHandler what each accepted connection's pipeline starts with
     */
    DevicePlacement(EventLoop accepting, EventLoopGroup workers, ChannelHandler childHandler) {
        this.accepting = accepting;
        this.workers = workers;
        this.childHandler = childHandler;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        child.pipeline().addLast(childHandler);
        EventLoop loop;
        if (tenant == null) {
            tenant = child;
            // runs on the child's loop, which is this one: the tenant is never moved
            child.closeFuture().addListener(f -> tenant = tenant == child ? null : tenant);
            loop = accepting;
        } else {
            loop = workers.next();
            if (loop == accepting) {
                loop = workers.next(); // the same loop again only when it is the only one
            }
        }
        loop.register(child).addListener((ChannelFutureListener) registered -> {
            if (!registered.isSuccess()) {
                child.unsafe().closeForcibly(); // the loop is stopping
            }
        });
    }
}
