package dev.mproxy.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

/** Puts a channel on a given event loop, since a {@link Relay} runs both its endpoints on one. */
public final class EventLoops {

    private EventLoops() {
    }

    /**
     * Moves {@code channel} to {@code loop}: deregisters it from its own and registers it there, with its
     * pipeline, options and buffered state unchanged. Turn {@code autoRead} off first; reads resume on the new
     * loop only when asked for. Listeners of the future run on {@code loop}, whether it succeeds or fails.
     * A channel its owner already deregistered ({@link #release}) is only registered: called on {@code loop},
     * that takes no hand-over between threads at all.
     */
    public static Future<Void> move(Channel channel, EventLoop loop) {
        if (channel.isRegistered() && channel.eventLoop() == loop) {
            return loop.newSucceededFuture(null);
        }
        Promise<Void> moved = loop.newPromise();
        if (!channel.isRegistered()) {
            register(channel, loop, moved);
            return moved;
        }
        channel.deregister().addListener((ChannelFutureListener) deregistered -> {
            if (!deregistered.isSuccess()) {
                moved.setFailure(deregistered.cause());
                return;
            }
            register(channel, loop, moved);
        });
        return moved;
    }

    /**
     * Takes {@code channel} off its event loop, on that loop, ahead of a {@link #move} to another: the move then
     * needs no task on the old loop (two hand-overs between threads fewer per public connection, issue 16).
     * Turn {@code autoRead} off first; the channel sees nothing until it is registered again.
     */
    public static ChannelFuture release(Channel channel) {
        assert channel.eventLoop().inEventLoop() : "off the channel's event loop: " + channel;
        return channel.deregister();
    }

    private static void register(Channel channel, EventLoop loop, Promise<Void> moved) {
        loop.register(channel).addListener((ChannelFutureListener) registered -> {
            if (registered.isSuccess()) {
                moved.setSuccess(null);
            } else {
                moved.setFailure(registered.cause());
            }
        });
    }
}
