package dev.mproxy.relay;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.concurrent.EventExecutor;

/**
 * A socket as a relay endpoint: the last handler of its pipeline. The channel must be registered on the
 * relay's event loop, with {@code autoRead} off until the relay starts and half-closure allowed.
 */
public final class ChannelEnd extends ChannelInboundHandlerAdapter implements RelayEnd {

    private final Channel channel;
    private Relay.Side side;

    private ChannelEnd(Channel channel) {
        this.channel = channel;
    }

    /** Makes {@code channel} a relay endpoint, adding itself to the end of its pipeline. */
    public static ChannelEnd of(Channel channel) {
        ChannelEnd end = new ChannelEnd(channel);
        channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        channel.pipeline().addLast(end);
        return end;
    }

    @Override
    public EventExecutor executor() {
        return channel.eventLoop();
    }

    @Override
    public void bind(Relay.Side side) {
        assert inLoop() : this + ": called off its event loop";
        this.side = side;
        if (!channel.isActive()) {
            side.closed(); // closed before the relay started: the channelInactive went by unseen
        }
    }

    @Override
    public void write(Object message) {
        assert inLoop() : this + ": called off its event loop";
        channel.write(message, channel.voidPromise());
    }

    @Override
    public void flush() {
        assert inLoop() : this + ": called off its event loop";
        channel.flush();
    }

    @Override
    public boolean isWritable() {
        assert inLoop() : this + ": called off its event loop";
        return channel.isWritable();
    }

    @Override
    public void setReading(boolean reading) {
        assert inLoop() : this + ": called off its event loop";
        channel.config().setAutoRead(reading);
    }

    @Override
    public void shutdownOutput() {
        assert inLoop() : this + ": called off its event loop";
        // After what is queued; then in a task of its own: Netty builds an exception for every shutdown, and
        // filling in its stack trace here, some 80 frames into a read, cost 3-4 % of a close-mode request's CPU
        // (bench/README.md, "Third pass").
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f ->
                channel.eventLoop().execute(this::shutdownOutputNow));
    }

    private void shutdownOutputNow() {
        if (channel instanceof DuplexChannel && channel.isActive()) {
            ((DuplexChannel) channel).shutdownOutput();
        }
    }

    @Override
    public void close() {
        assert inLoop() : this + ": called off its event loop";
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void abort() {
        assert inLoop() : this + ": called off its event loop";
        if (channel.isOpen()) {
            channel.config().setOption(ChannelOption.SO_LINGER, 0);
        }
        channel.close();
    }

    private boolean inLoop() {
        return channel.eventLoop().inEventLoop();
    }

    // ---- what the socket reports ------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        side.read(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        side.readComplete();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            side.inputEnded();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        side.writabilityChanged();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (side != null) {
            side.closed();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (side == null) {
            ctx.close(); // not joined yet: bind() sees the channel closed
            return;
        }
        side.failed(cause);
    }

    @Override
    public String toString() {
        return channel.toString();
    }
}
