package dev.mproxy.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

/**
 * The last handler of a stream's socket: hands what happens on the socket (bytes, FIN, writability) to the
 * tunnel's event loop, where the stream's state lives.
 */
final class StreamEndpointHandler extends ChannelInboundHandlerAdapter {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(StreamEndpointHandler.class);

    private final TunnelHandler tunnel;
    private final TunnelStream stream;

    StreamEndpointHandler(TunnelHandler tunnel, TunnelStream stream) {
        this.tunnel = tunnel;
        this.stream = stream;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        int length = buf.readableBytes();
        if (tunnel.handOver(length)) {
            // on this socket's own loop, so the read loop stops before the next buffer
            ctx.channel().config().setAutoRead(false);
        }
        tunnel.inLoop(() -> tunnel.endpointRead(stream, buf, length));
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        tunnel.inLoop(tunnel::endpointReadComplete);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            tunnel.inLoop(() -> tunnel.endpointInputEnded(stream));
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            tunnel.inLoop(() -> tunnel.endpointWritable(stream));
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        logger.debug("{}: socket failed, closing", stream, cause);
        ctx.close();
    }
}
