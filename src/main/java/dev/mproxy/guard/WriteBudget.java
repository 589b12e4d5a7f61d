package dev.mproxy.guard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * Charges a {@link MemoryBudget} with the bytes written to a channel until the socket took them (or the write
 * failed): what the gateway holds for a slow receiver (limits 3.1). Goes first in the pipeline, next to the
 * socket, so it counts what waits in the channel's outbound buffer.
 */
public final class WriteBudget extends ChannelOutboundHandlerAdapter {

    private final MemoryBudget budget;

    public WriteBudget(MemoryBudget budget) {
        this.budget = budget;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        long bytes = msg instanceof ByteBuf ? ((ByteBuf) msg).readableBytes()
                : msg instanceof ByteBufHolder ? ((ByteBufHolder) msg).content().readableBytes() : 0;
        if (bytes == 0) {
            ctx.write(msg, promise);
            return;
        }
        budget.reserve(bytes);
        // a void promise takes no listener; unvoid() keeps its behaviour (a failure is fired down the pipeline)
        ChannelPromise counted = promise.unvoid();
        counted.addListener(f -> budget.release(bytes));
        ctx.write(msg, counted);
    }
}
