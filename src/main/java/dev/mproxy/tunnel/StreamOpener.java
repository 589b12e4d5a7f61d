package dev.mproxy.tunnel;

import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;

/** How the device side opens the local connection of a new stream. */
@FunctionalInterface
public interface StreamOpener {

    /**
     * Connects to the local service for {@code request} on {@code loop} (the tunnel's own loop, so the stream
     * needs no cross-thread hand-off). The channel must start with {@code autoRead} off and allow half-closure;
     * the tunnel installs its handler when the future succeeds. A failed future's cause is sent back to the
     * gateway as the stream's {@code error}.
     */
    ChannelFuture open(StreamRequest request, EventLoop loop);
}
