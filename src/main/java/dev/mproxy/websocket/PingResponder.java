package dev.mproxy.websocket;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Answers pings and drops pongs in front of Netty's WebSocket protocol handler, which would do the same but
 * also ask for another read after each one when reads are off: a peer sending a ping after every frame then
 * got past flow control (rendezvous 3.2). Here a ping or pong is only consumed, and a pong reply is dropped
 * while the connection cannot take more, so pings cannot fill it either (rendezvous 3.3).
 */
@Sharable
public final class PingResponder extends ChannelInboundHandlerAdapter {

    public static final PingResponder INSTANCE = new PingResponder();

    private PingResponder() {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof PingWebSocketFrame) {
            PingWebSocketFrame ping = (PingWebSocketFrame) msg;
            if (ctx.channel().isWritable()) {
                // through the whole pipeline: the protocol handler drops it once our close frame is out
                ctx.channel().writeAndFlush(new PongWebSocketFrame(ping.content()));
            } else {
                ping.release();
            }
        } else if (msg instanceof PongWebSocketFrame) {
            ReferenceCountUtil.release(msg);
        } else {
            ctx.fireChannelRead(msg);
        }
    }
}
