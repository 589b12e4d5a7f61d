package dev.mproxy.guard;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;

/**
 * Reads a tunnel only while what it causes can go somewhere (limits 3.1, 3.3): while the tunnel itself is writable
 * (a peer that does not read our replies is not read either) and its memory budget, and the gateway's, are not
 * spent. Owns the tunnel channel's {@code autoRead}; nothing else may set it.
 */
public final class ReadGate extends ChannelInboundHandlerAdapter {

    private static final long RECHECK_MILLIS = 100;

    private final MemoryBudget budget;
    private final Refusals refusals;
    private final Runnable budgetChanged = this::reschedule;
    private Channel channel;
    private boolean reading = true;
    private boolean recheckScheduled;

    /** Gates on writability and {@code budget} (its parent too); refusals counted in {@code refusals}. */
    public ReadGate(MemoryBudget budget, Refusals refusals) {
        this.budget = budget;
        this.refusals = refusals;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        budget.addListener(budgetChanged);
        update();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        budget.removeListener(budgetChanged);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        budget.removeListener(budgetChanged);
        ctx.fireChannelInactive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        update();
        ctx.fireChannelWritabilityChanged();
    }

    /** Whether the tunnel is read now; for tests, on the tunnel's event loop. */
    public boolean isReading() {
        return reading;
    }

    /** Budgets change on any thread; the gate's state is the tunnel loop's. */
    private void reschedule() {
        if (channel.eventLoop().inEventLoop()) {
            update();
        } else {
            channel.eventLoop().execute(this::update);
        }
    }

    /** Re-checks every 100 ms while spent: a parent budget's changes are not heard, its state is polled. */
    private void update() {
        if (!channel.isActive()) {
            return;
        }
        boolean spent = budget.isSpent();
        boolean read = channel.isWritable() && !spent;
        if (read != reading) {
            reading = read;
            channel.config().setAutoRead(read);
            if (spent) {
                refusals.refuse(Refusal.TUNNEL_MEMORY, "stopped reading tunnel " + channel.remoteAddress() + ": "
                        + budget);
            }
        }
        if (spent && !recheckScheduled) {
            recheckScheduled = true;
            channel.eventLoop().schedule(() -> {
                recheckScheduled = false;
                update();
            }, RECHECK_MILLIS, TimeUnit.MILLISECONDS);
        }
    }
}
