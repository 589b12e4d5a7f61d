package dev.mproxy.connector;

import dev.mproxy.transport.Transport;
import dev.mproxy.tunnel.StreamErrors;
import dev.mproxy.tunnel.StreamException;
import dev.mproxy.tunnel.StreamOpener;
import dev.mproxy.tunnel.StreamRequest;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;

/**
 * Opens each stream to the local service its {@link Mappings} name (protocol-spec/device-mappings.md), first
 * writing the PROXY protocol header when the mapping asks for one. Connects on the tunnel's own event loop, so the
 * stream's socket and the tunnel share a thread.
 */
public final class LocalTargets implements StreamOpener {

    /** Nothing to do when the socket is created: the tunnel adds its handler once connected. */
    private static final ChannelInitializer<Channel> NO_HANDLERS = new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel ch) {
        }
    };

    /** Replaced whole by a reload (SIGHUP); a stream uses the mappings of the moment it opens. */
    private volatile Mappings mappings;
    private final int connectTimeoutMillis;
    /** Set when the connector stops: streams that are open go on, new ones are refused. */
    private volatile boolean draining;

    public LocalTargets(Mappings mappings, int connectTimeoutMillis) {
        this.mappings = mappings;
        this.connectTimeoutMillis = connectTimeoutMillis;
    }

    /** The mappings new streams are opened by. */
    Mappings mappings() {
        return mappings;
    }

    /** New streams are opened by {@code mappings} from now on; open streams go on as they are. */
    void update(Mappings mappings) {
        this.mappings = mappings;
    }

    /** Refuses every stream from now on: the connector is stopping and lets only open streams finish. */
    void drain() {
        draining = true;
    }

    @Override
    public ChannelFuture open(StreamRequest request, EventLoop loop) {
        Bootstrap bootstrap = new Bootstrap().group(loop).channel(Transport.socketChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .handler(NO_HANDLERS);
        LocalService target;
        HAProxyMessage header;
        try {
            if (draining) {
                throw new StreamException(StreamErrors.NO_TARGET, "the device is stopping");
            }
            target = mappings.find(request);
            header = target.proxy().header(request); // before connecting: a bad stream id opens nothing
        } catch (StreamException e) {
            Channel unused = bootstrap.register().channel();
            unused.close();
            return unused.newFailedFuture(e);
        }
        ChannelFuture connect = bootstrap.connect(target.address());
        ChannelPromise opened = connect.channel().newPromise();
        connect.addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                if (header != null) {
                    writeHeader(f.channel(), header);
                }
                opened.setSuccess(); // after the header: the tunnel writes the stream's bytes from here on
            } else {
                if (header != null) {
                    header.release();
                }
                opened.setFailure(StreamErrors.connectFailure(f.cause(), target.hostPort()));
            }
        });
        return opened;
    }

    /**
     * Writes the header through Netty's encoder, then takes the encoder out: on this loop the header is in the
     * socket's outbound buffer when this returns, ahead of every stream byte, and the rest is a plain byte pipe.
     */
    private static void writeHeader(Channel local, HAProxyMessage header) {
        local.pipeline().addFirst(HAProxyMessageEncoder.INSTANCE);
        local.writeAndFlush(header); // if this fails the socket is closing, and the tunnel sees it close
        local.pipeline().remove(HAProxyMessageEncoder.INSTANCE);
    }
}
