package dev.mproxy.tunnel;

import dev.mproxy.protocol.MessageType;
import dev.mproxy.protocol.MproxyMessage;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The end of a tunnel's pipeline that speaks the control channel: takes the {@code control} messages
 * {@link TunnelHandler} passes up, hands each to {@link #onControl}, and releases it.
 */
public abstract class ControlHandler extends ChannelInboundHandlerAdapter {

    @Override
    public final void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof MproxyMessage) || ((MproxyMessage) msg).type() != MessageType.CONTROL) {
            ctx.fireChannelRead(msg);
            return;
        }
        MproxyMessage m = (MproxyMessage) msg;
        try {
            onControl(ctx, m);
        } finally {
            m.release();
        }
    }

    /** One control message; it is released after this returns. */
    protected abstract void onControl(ChannelHandlerContext ctx, MproxyMessage message);
}
