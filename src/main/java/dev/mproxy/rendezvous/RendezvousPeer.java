package dev.mproxy.rendezvous;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;

/**
 * One peer of the rendezvous relay on the gateway, from its upgrade until it pairs, is refused or goes: tells
 * the {@link Rendezvous} when its WebSocket is up and when its connection ends. Its {@link WebSocketEnd}
 * follows it in the pipeline.
 */
final class RendezvousPeer extends ChannelInboundHandlerAdapter {

    final Rendezvous rendezvous;
    final RendezvousRequest request;
    final Channel channel;
    final WebSocketEnd end;

    RendezvousPeer(Rendezvous rendezvous, RendezvousRequest request, Channel channel, WebSocketEnd end) {
        this.rendezvous = rendezvous;
        this.request = request;
        this.channel = channel;
        this.end = end;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            rendezvous.arrived(this);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        rendezvous.left(this);
        ctx.fireChannelInactive();
    }

    /** The peer's address and user, for log lines. */
    @Override
    public String toString() {
        return channel.remoteAddress() + " (" + (request.authenticated() ? "user " + request.user() : "no token")
                + (request.browser() ? ", browser" : "") + ')';
    }
}
