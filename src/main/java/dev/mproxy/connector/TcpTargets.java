package dev.mproxy.connector;

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
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * The connector's {@code --tcp PUBLIC_PORT=HOST:PORT} mappings: a stream for public port P is opened to the
 * local service mapped to P. Connects on the tunnel's own event loop, so the stream's socket and the tunnel
 * share a thread.
 */
public final class TcpTargets implements StreamOpener {

    /** Nothing to do when the socket is created: the tunnel adds its handler once connected. */
    private static final ChannelInitializer<Channel> NO_HANDLERS = new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel ch) {
        }
    };

    private final Map<Integer, InetSocketAddress> byPublicPort;
    private final int connectTimeoutMillis;

    public TcpTargets(Map<Integer, InetSocketAddress> byPublicPort, int connectTimeoutMillis) {
        this.byPublicPort = Map.copyOf(byPublicPort);
        this.connectTimeoutMillis = connectTimeoutMillis;
    }

    @Override
    public ChannelFuture open(StreamRequest request, EventLoop loop) {
        InetSocketAddress target = targetOf(request);
        Bootstrap bootstrap = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .handler(NO_HANDLERS);
        if (target == null) {
            Channel unused = bootstrap.register().channel();
            unused.close();
            return unused.newFailedFuture(new StreamException(StreamErrors.NO_TARGET,
                    "no local service is mapped to " + request.service() + " port " + request.servicePort()));
        }
        ChannelFuture connect = bootstrap.connect(target);
        ChannelPromise opened = connect.channel().newPromise();
        connect.addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                opened.setSuccess();
            } else {
                opened.setFailure(StreamErrors.connectFailure(f.cause(), target.getHostString() + ':'
                        + target.getPort()));
            }
        });
        return opened;
    }

    private InetSocketAddress targetOf(StreamRequest request) {
        try {
            return byPublicPort.get(Integer.parseInt(request.servicePort()));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
