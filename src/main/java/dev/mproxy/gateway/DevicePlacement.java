package dev.mproxy.gateway;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Chooses the event loop of each connection on the device port, in the device listener's pipeline on the
 * accepting loop. The accepting loop, which accepts every public connection and reads the routed ones until their
 * route is known, serves one device at a time: that device's public connections then never cross a thread
 * (issue 16, bench/README.md "Fifth pass"), which is every connection when one device serves the gateway.
 *
 * <p>Which connection will be a device is known only after its upgrade, so the place goes to a connection at its
 * accept, and comes back at its close, or after the handshake timeout if it is not a device's tunnel by then (a
 * relay peer, a node tunnel, a scanner). Meanwhile the others go to the other workers in turn, so a burst of
 * devices connecting at once puts one of them there, not all. A device that connects again while its old
 * connection still holds the place is served elsewhere, as every device was before.
 */
final class DevicePlacement extends ChannelInboundHandlerAdapter {

    private final EventLoop accepting;
    private final List<EventLoop> others = new ArrayList<>();
    private final ChannelHandler childHandler;
    private final Duration handshakeTimeout;
    private final Predicate<Channel> isDevice;
    /** The connection on the accepting loop, or null; read and written on that loop only. */
    private Channel tenant;
    private int next;

    /**
     * @param accepting        the loop of the device listener itself, one of {@code workers}
     * @param childHandler     what each accepted connection's pipeline starts with
     * @param handshakeTimeout how long a connection may hold the place before it is a device's tunnel
     * @param isDevice         whether a connection carries a device's tunnel now
     */
    DevicePlacement(EventLoop accepting, EventLoopGroup workers, ChannelHandler childHandler,
                    Duration handshakeTimeout, Predicate<Channel> isDevice) {
        this.accepting = accepting;
        for (EventExecutor loop : workers) {
            if (loop != accepting) {
                others.add((EventLoop) loop);
            }
        }
        this.childHandler = childHandler;
        this.handshakeTimeout = handshakeTimeout;
        this.isDevice = isDevice;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        child.pipeline().addLast(childHandler);
        EventLoop loop = accepting;
        if (tenant == null) {
            hold(child);
        } else if (!others.isEmpty()) {
            loop = others.get(next);
            next = (next + 1) % others.size();
        }
        loop.register(child).addListener((ChannelFutureListener) registered -> {
            if (!registered.isSuccess()) {
                child.unsafe().closeForcibly(); // the loop is stopping
            }
        });
    }

    private void hold(Channel child) {
        tenant = child;
        ScheduledFuture<?> check = accepting.schedule(() -> {
            if (!isDevice.test(child)) {
                release(child);
            }
        }, handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        // cancelled, so that connections opened and closed fast leave no task behind each; the close may come on
        // another loop: the rendezvous relay moves a peer to its pair's
        child.closeFuture().addListener(f -> onAcceptingLoop(() -> {
            check.cancel(false);
            release(child);
        }));
    }

    private void release(Channel child) {
        if (tenant == child) {
            tenant = null;
        }
    }

    private void onAcceptingLoop(Runnable task) {
        if (accepting.inEventLoop()) {
            task.run();
            return;
        }
        try {
            accepting.execute(task);
        } catch (RejectedExecutionException stopping) {
            // the gateway is stopping: nothing is placed any more
        }
    }
}
