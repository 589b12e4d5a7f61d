package dev.mproxy.gateway;

import dev.mproxy.config.HostPorts;
import dev.mproxy.guard.Refusal;
import dev.mproxy.guard.Refusals;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;

/**
 * In front of the device port's TLS: a client that speaks plain HTTP there (a {@code ws://} URL, {@code curl
 * http://}) is answered {@code 400} with a JSON reason, {@code E_TLS_REQUIRED}, instead of a silent close, so it
 * can say "use wss://" (control 3.2). Anything else is left to TLS, which refuses what is not TLS itself.
 */
final class TlsRequired extends ByteToMessageDecoder {

    /** The first byte of a TLS handshake record. */
    private static final int HANDSHAKE_RECORD = 0x16;

    static final String CODE = "E_TLS_REQUIRED";

    private final Refusals refusals;

    /** {@code refusals} counts and logs each, at most once per reason every 10 s (limits 1.3). */
    TlsRequired(Refusals refusals) {
        this.refusals = refusals;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!in.isReadable()) {
            return;
        }
        int first = in.getUnsignedByte(in.readerIndex());
        if (first == HANDSHAKE_RECORD || first < 'A' || first > 'Z') {
            ctx.pipeline().remove(this); // TLS, or not HTTP either: the TLS handler says what is wrong
            return;
        }
        in.skipBytes(in.readableBytes());
        refusals.refuse(Refusal.NOT_TLS, HostPorts.format(ctx.channel().remoteAddress()) + ": plain HTTP on the TLS "
                + "device port, answered 400 " + CODE);
        RawRefusal.send(ctx, HttpResponseStatus.BAD_REQUEST, CODE,
                "this port speaks TLS: use wss:// (or https://) instead of ws:// (or http://)");
    }
}
