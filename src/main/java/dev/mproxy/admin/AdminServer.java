package dev.mproxy.admin;

import dev.mproxy.gateway.GatewayConfig;
import dev.mproxy.gateway.GatewayServer;
import dev.mproxy.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.internal.ObjectUtil;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The admin listener (protocol-spec/admin.md): metrics, the JSON admin API, health and readiness, and the
 * dashboard, over HTTP/1.1 on Netty's codec, apart from the device and public ports. It runs on an event loop of
 * its own, so a scrape or an API call never waits behind tunnel traffic and never slows it. Off unless
 * {@link GatewayConfig#admin()} is set; plain HTTP only on a loopback address (admin 1.2).
 */
public final class AdminServer implements AutoCloseable {

    /** Largest request accepted, head and body (admin 1.3): the API's bodies are a few fields of JSON. */
    static final int MAX_REQUEST = 64 * 1024;
    /** A connection idle this long is closed; SSE streams send a comment more often than this. */
    static final int IDLE_SECONDS = 120;

    private final GatewayServer gateway;
    private final GatewayConfig config;
    private final AdminApi api;
    private final EventLoopGroup group = Transport.newGroup(1);
    private Channel listener;

    /**
     * @param gateway the running gateway
     * @param config  its config: {@link GatewayConfig#admin()} must be set
     * @param metrics the gateway's observer, whose metrics {@code /metrics} writes
     * @param token   the admin credential
     */
    public AdminServer(GatewayServer gateway, GatewayConfig config, GatewayMetrics metrics, AdminToken token) {
        this.gateway = ObjectUtil.checkNotNull(gateway, "gateway");
        this.config = ObjectUtil.checkNotNull(config, "config");
        ObjectUtil.checkNotNull(config.admin(), "config.admin()");
        this.api = new AdminApi(gateway, config.verifier().revocations(), metrics, token);
        metrics.gateway(gateway);
    }

    /**
     * Binds the admin address.
     *
     * @throws BindException naming the address when it cannot be bound
     */
    public AdminServer start() throws InterruptedException, BindException {
        ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(Transport.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (config.adminTls() != null) {
                            p.addLast(config.adminTls().newHandler(ch.alloc()));
                        }
                        p.addLast(new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS),
                                new HttpServerCodec(), new HttpServerKeepAliveHandler(),
                                new HttpObjectAggregator(MAX_REQUEST), new AdminHandler(api));
                    }
                });
        listener = Transport.bind(bootstrap, config.admin(), "the admin listener (--admin)");
        return this;
    }

    /** Where the admin listener listens. */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** Whether it serves HTTPS. */
    public boolean isTls() {
        return config.adminTls() != null;
    }

    @Override
    public synchronized void close() {
        if (group.isShuttingDown()) {
            return;
        }
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        api.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    GatewayServer gateway() {
        return gateway;
    }
}
