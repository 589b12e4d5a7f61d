package dev.mproxy.cluster;

import dev.mproxy.tls.ClientTls;
import dev.mproxy.tls.TlsContexts;
import dev.mproxy.tls.TlsFailures;
import dev.mproxy.transport.Transport;
import dev.mproxy.tunnel.TunnelHandler;
import dev.mproxy.tunnel.TunnelLimits;
import dev.mproxy.tunnel.TunnelPipeline;
import dev.mproxy.websocket.WebSocketFrameCodec;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;

/**
 * The entry's end of node tunnels (cluster 4.1): one WebSocket to each node that holds a device this node
 * routes to, dialed when a connection first needs it, on which this node opens streams as a gateway opens them
 * on a device's tunnel.
 */
final class NodeTunnels {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(NodeTunnels.class);

    /** The header naming the node that dials (cluster 4.2). */
    static final String NODE_HEADER = "X-Mproxy-Node";
    /** A node tunnel carries every stream between two nodes: many devices' worth (cluster 4.1). */
    static final TunnelLimits LIMITS = TunnelLimits.DEFAULT.withMaxStreams(65_536);
    /** Keepalive of node tunnels: a dead peer is seen within the lease, like a dead node (cluster 1.5). */
    static final Duration PING_INTERVAL = Duration.ofSeconds(1);
    static final Duration PING_TIMEOUT = ClusterConfig.LEASE;
    /** How long the dial and the WebSocket handshake to another node may take. */
    private static final int HANDSHAKE_TIMEOUT_MILLIS = 5_000;

    private final ClusterConfig config;
    private final EventLoopGroup group;
    private final Map<String, Promise<TunnelHandler>> tunnels = new ConcurrentHashMap<>();
    private final Map<String, Channel> channels = new ConcurrentHashMap<>();
    private volatile boolean closed;

    NodeTunnels(ClusterConfig config, EventLoopGroup group) {
        this.config = config;
        this.group = group;
    }

    /** The tunnel to {@code node} at {@code url}, open or being opened. */
    Future<TunnelHandler> to(String node, URI url) {
        return tunnels.computeIfAbsent(node, n -> dial(n, url));
    }

    private Promise<TunnelHandler> dial(String node, URI url) {
        Promise<TunnelHandler> tunnel = group.next().newPromise();
        if (closed) {
            return tunnel.setFailure(new IOException("the cluster member is closed"));
        }
        ClientTls tls;
        try {
            tls = !"wss".equals(url.getScheme()) ? null
                    : config.nodeTrust() != null ? config.nodeTrust() : TlsContexts.clientDefault();
        } catch (SSLException e) {
            return tunnel.setFailure(e);
        }
        String host = url.getHost();
        int port = ClusterConfig.portOf(url, 80, 443);
        URI ws = URI.create(url.getScheme() + "://" + url.getRawAuthority() + dev.mproxy.gateway.ClusterMember.NODE_TUNNEL_PATH);
        DefaultHttpHeaders headers = new DefaultHttpHeaders();
        headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + config.secret());
        headers.set(NODE_HEADER, config.nodeId());
        WebSocketClientProtocolConfig handshake = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(ws).version(WebSocketVersion.V13).customHeaders(headers)
                .maxFramePayloadLength(TunnelPipeline.MAX_FRAME_PAYLOAD)
                .handshakeTimeoutMillis(HANDSHAKE_TIMEOUT_MILLIS)
                .build();
        new Bootstrap().group(group).channel(Transport.socketChannel())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (tls != null) {
                            p.addLast(TunnelPipeline.TLS, tls.newHandler(ch.alloc(), host, port));
                        }
                        p.addLast(new HttpClientCodec(), new HttpObjectAggregator(64 * 1024),
                                new WebSocketClientProtocolHandler(handshake), new Installer(node, tunnel));
                    }
                })
                .connect(host, port)
                .addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        tunnels.remove(node, tunnel);
                        tunnel.tryFailure(f.cause());
                        return;
                    }
                    channels.put(node, f.channel());
                    f.channel().closeFuture().addListener(c -> {
                        tunnels.remove(node, tunnel); // the next connection that needs it dials again (cluster 4.5)
                        channels.remove(node, f.channel());
                        tunnel.tryFailure(new IOException("node tunnel to " + node + " closed during its handshake"));
                        logger.info("node tunnel to {} at {} closed", node, url);
                    });
                });
        return tunnel;
    }

    /** Closes every node tunnel; their streams are reset (cluster 4.5). */
    void close() {
        closed = true;
        for (Channel ch : new ArrayList<>(channels.values())) {
            ch.close().awaitUninterruptibly();
        }
    }

    /** Becomes the entry's end of the tunnel once the handshake is done. */
    private final class Installer extends ChannelInboundHandlerAdapter {
        private final String node;
        private final Promise<TunnelHandler> tunnel;

        Installer(String node, Promise<TunnelHandler> tunnel) {
            this.node = node;
            this.tunnel = tunnel;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                TunnelHandler handler = TunnelHandler.gateway(LIMITS);
                // the entry dials, so its frames are the masked client's, though it opens the streams
                TunnelPipeline.install(ctx.pipeline(), WebSocketFrameCodec.client(ctx.pipeline()), handler,
                        new NodeControl(), PING_INTERVAL, PING_TIMEOUT);
                ctx.pipeline().remove(this);
                logger.info("node tunnel to {} open", node);
                tunnel.trySuccess(handler);
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            logger.warn("node tunnel to {} failed: {}", node, TlsFailures.describe(cause));
            tunnel.tryFailure(cause);
            ctx.close();
        }
    }
}
