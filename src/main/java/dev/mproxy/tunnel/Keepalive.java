package dev.mproxy.tunnel;

import dev.mproxy.websocket.WebSocketClose;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * WebSocket liveness, both ways: a ping after {@code interval} without sending, and the tunnel closed after
 * {@code timeout} without receiving anything (data or pong). M-PROXY itself has no ping (telebit relied on
 * WebSocket pings too). A tunnel that keeps sending is pinged once per {@code interval} all the same, so its
 * round trip is known while it is busy, when it matters (control 1.4.1).
 */
final class Keepalive extends ChannelInboundHandlerAdapter {

    /** Name of the handler that must stay first after TLS, so every byte read counts as life. */
    static final String IDLE = "idle";

    /** A pong claiming a longer round trip than this did not echo our ping (the tunnel closes well before). */
    private static final long MAX_ROUND_TRIP_NANOS = TimeUnit.HOURS.toNanos(1);

    private final Duration interval;
    private final Duration timeout;
    private long lastPingNanos = System.nanoTime();
    private ScheduledFuture<?> roundTripProbe;

    private Keepalive(Duration interval, Duration timeout) {
        this.interval = interval;
        this.timeout = timeout;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        long every = interval.toNanos();
        roundTripProbe = ctx.executor().scheduleAtFixedRate(() -> {
            if (System.nanoTime() - lastPingNanos >= every) {
                ping(ctx); // busy: the idle timer never fired in this interval
            }
        }, every, every, TimeUnit.NANOSECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        roundTripProbe.cancel(false);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        roundTripProbe.cancel(false);
        ctx.fireChannelInactive();
    }

    /** The ping carries when it was sent; the peer echoes it in its pong (RFC 6455 §5.5.3). */
    private void ping(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            return;
        }
        lastPingNanos = System.nanoTime();
        ByteBuf sentAt = ctx.alloc().buffer(Long.BYTES).writeLong(lastPingNanos);
        ctx.channel().writeAndFlush(new PingWebSocketFrame(sentAt));
    }

    /** Adds the idle timer after the TLS handler (or first), and this handler at the tail. */
    static void install(ChannelPipeline pipeline, Duration interval, Duration timeout) {
        IdleStateHandler idle = new IdleStateHandler(timeout.toMillis(), interval.toMillis(), 0,
                TimeUnit.MILLISECONDS);
        if (pipeline.get(TunnelPipeline.TLS) != null) {
            pipeline.addAfter(TunnelPipeline.TLS, IDLE, idle);
        } else {
            pipeline.addFirst(IDLE, idle);
        }
        pipeline.addLast(new Keepalive(interval, timeout));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            IdleState state = ((IdleStateEvent) evt).state();
            if (state == IdleState.WRITER_IDLE) {
                ping(ctx);
            } else if (state == IdleState.READER_IDLE) {
                ctx.channel().writeAndFlush(new WebSocketClose(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE,
                        "nothing received for " + timeout.toSeconds() + " s (no data, no pong)"))
                        .addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** A pong echoing our ping's time is the tunnel's round trip; other pongs (unsolicited ones) are dropped. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof PongWebSocketFrame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf content = ((PongWebSocketFrame) msg).content();
        try {
            if (content.readableBytes() == Long.BYTES) {
                long rtt = System.nanoTime() - content.getLong(content.readerIndex());
                TunnelHandler tunnel = ctx.pipeline().get(TunnelHandler.class);
                if (rtt >= 0 && rtt < MAX_ROUND_TRIP_NANOS && tunnel != null) {
                    tunnel.meter().roundTrip(rtt);
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }
}
