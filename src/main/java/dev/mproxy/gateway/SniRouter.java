package dev.mproxy.gateway;

import dev.mproxy.guard.Refusal;
import dev.mproxy.guard.RemoteText;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.util.Locale;

/**
 * Routes a connection on the shared TLS port by the server name its ClientHello asks for, without
 * terminating TLS (protocol-spec/routing.md §2). Netty's ClientHello reader waits for the whole ClientHello,
 * over any number of TCP segments and TLS records, up to {@link #MAX_CLIENT_HELLO} bytes and the timeout.
 */
final class SniRouter extends AbstractSniHandler<DeviceSession> {

    /** Largest ClientHello accepted: post-quantum key shares make them 1.5-2 KB today (routing 2.2). */
    static final int MAX_CLIENT_HELLO = 16 * 1024;

    /** A fatal {@code unrecognized_name} alert (RFC 8446 §6.2), in a plaintext TLS record. */
    private static final ByteBuf UNRECOGNIZED_NAME = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(
            new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 112}).asReadOnly());

    private final DeviceRegistry registry;
    private final int servicePort;
    private final GatewayObserver observer;

    SniRouter(DeviceRegistry registry, int servicePort, long timeoutMillis, GatewayObserver observer) {
        super(MAX_CLIENT_HELLO, timeoutMillis);
        this.registry = registry;
        this.servicePort = servicePort;
        this.observer = observer;
    }

    @Override
    protected Future<DeviceSession> lookup(ChannelHandlerContext ctx, String hostname) {
        return ctx.executor().newSucceededFuture(hostname == null ? null : registry.route(hostname));
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, String hostname, Future<DeviceSession> future) {
        DeviceSession device = future.getNow();
        ClusterMember cluster = registry.cluster();
        if (device == null && hostname != null && cluster != null && cluster.servesName(hostname)) {
            StreamHandoff.toCluster(ctx, internalBuffer(), cluster, "https", servicePort,
                    hostname.toLowerCase(Locale.ROOT)); // a device of another node serves it (cluster 5.1)
            return;
        }
        if (device == null) {
            observer.refused(hostname == null ? RefusalReason.NO_SERVER_NAME : RefusalReason.UNKNOWN_NAME);
            String cut = cluster == null || hostname == null ? null : cluster.unavailable(); // cluster 4.6
            registry.guards().refusals().refuse(Refusal.UNKNOWN_NAME, "TLS connection from "
                    + ctx.channel().remoteAddress() + ": " + (hostname == null
                            ? "no server name (SNI) in its ClientHello" : RemoteText.quoted(hostname))
                    + (cut == null ? "" : "; " + cut));
            ctx.writeAndFlush(UNRECOGNIZED_NAME.duplicate()).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        StreamHandoff.toDevice(ctx, internalBuffer(), device, "https", servicePort,
                hostname.toLowerCase(Locale.ROOT));
    }


    /** Limits 5.3: whatever a client's bytes make fail here is its own doing: one rate-limited line, no trace. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (!(root instanceof IOException)) {
            registry.guards().refusals().refuse(Refusal.UNROUTABLE, "TLS connection from "
                    + ctx.channel().remoteAddress() + ": " + root.getClass().getSimpleName() + ' '
                    + RemoteText.quoted(root.getMessage()));
        }
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        super.userEventTriggered(ctx, evt);
        if (evt instanceof ChannelInputShutdownEvent && !ctx.isRemoved()) {
            ctx.close(); // the client stopped sending before its ClientHello was complete
        }
    }
}
