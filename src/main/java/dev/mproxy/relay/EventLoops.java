package dev.mproxy.relay;

import io.netty.channel.Channel;
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
     */
    public static Future<Void> move(Channel channel, EventLoop loop) {
        if (channel.eventLoop() == loop) {
            return loop.newSucceededFuture(null);
        }
        Promise<Void> moved = loop.newPromise();
        channel.deregister().addListener((ChannelFutureListener) deregistered -> {
            if (!deregistered.isSuccess()) {
                moved.setFailure(deregistered.cause());
                return;
            }
            loop.register(channel).addListener((ChannelFutureListener) registered -> {
                if (registered.isSuccess()) {
                    moved.setSuccess(null);
                } else {
                    moved.setFailure(registered.cause());
                }
            });
        });
        return moved;
    }
}
