package dev.mproxy.cluster;

import dev.mproxy.gateway.ClusterMember;
import dev.mproxy.gateway.LocalNode;
import dev.mproxy.tls.ClientTls;
import dev.mproxy.tls.TlsContexts;
import dev.mproxy.transport.Transport;
import dev.mproxy.tunnel.StreamErrors;
import dev.mproxy.tunnel.StreamException;
import dev.mproxy.tunnel.StreamOpener;
import dev.mproxy.tunnel.StreamRequest;
import dev.mproxy.tunnel.TunnelHandler;
import dev.mproxy.tunnel.TunnelPipeline;
import dev.mproxy.websocket.WebSocketFrameCodec;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;

/**
 * The holder's end of node tunnels (cluster 4.2-4.4): checks the cluster secret at the upgrade, then serves each
 * stream as if it were a public connection accepted here, handing it to one of this node's devices. The stream
 * and the device's stream meet through a loopback TCP connection, so both hops keep the one relay and its flow
 * control (cluster 4.4).
 */
final class NodeTunnelEndpoint implements StreamOpener {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(NodeTunnelEndpoint.class);

    private final ClusterConfig config;
    private final LocalNode local;
    private final Channel bridge;
    /** How carried rendezvous peers reach this node's own device port (cluster 8.3); null when it is plain. */
    private final ClientTls ownTls;
    /**
     * Each loopback connection's two ends meet here, keyed by the dialing end's local port: the first to arrive
     * leaves its half (the request, or the accepted channel), the second takes it and hands the stream over.
     */
    private final Map<Integer, Object> meeting = new ConcurrentHashMap<>();

    NodeTunnelEndpoint(ClusterConfig config, LocalNode local) throws InterruptedException {
        this.config = config;
        this.local = local;
        try {
            this.ownTls = local.deviceTls() ? TlsContexts.clientInsecure() : null;
        } catch (SSLException e) {
            throw new IllegalStateException("cannot make a TLS client for this node's own device port", e);
        }
        this.bridge = new ServerBootstrap().group(local.workers()).channel(Transport.serverChannel())
                .childOption(ChannelOption.AUTO_READ, false) // read once the device's stream is open
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        meet(ch.remoteAddress().getPort(), ch);
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /**
     * Checks a node tunnel's upgrade (cluster 4.2) and, when the secret is right, adds the handlers that make it
     * a node tunnel behind {@code pipeline}'s last; else answers 401 and releases {@code request}.
     */
    boolean accept(ChannelPipeline pipeline, FullHttpRequest request) {
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION, "");
        String presented = authorization.startsWith("Bearer ") ? authorization.substring(7).strip() : "";
        if (!MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                config.secret().getBytes(StandardCharsets.UTF_8))) {
            String node = request.headers().get(NodeTunnels.NODE_HEADER, "?");
            request.release();
            logger.warn("refused a node tunnel from {} ({}): wrong or missing cluster secret",
                    pipeline.channel().remoteAddress(), node);
            byte[] body = ("{\"code\":\"E_CLUSTER_SECRET\",\"message\":\"node tunnels need the cluster secret "
                    + "(expected: Authorization: Bearer <the secret of --cluster-secret-file>)\"}")
                    .getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.UNAUTHORIZED, Unpooled.wrappedBuffer(body));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            pipeline.channel().writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            return false;
        }
        String node = request.headers().get(NodeTunnels.NODE_HEADER, "?");
        WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(ClusterMember.NODE_TUNNEL_PATH)
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(TunnelPipeline.MAX_FRAME_PAYLOAD).allowExtensions(false).build())
                .build();
        pipeline.addLast(new WebSocketServerProtocolHandler(ws), new Installer(node));
        return true;
    }

    /** A stream of a node tunnel: dial the bridge; its accepted end goes to a device here (cluster 4.3). */
    @Override
    public ChannelFuture open(StreamRequest request, EventLoop loop) {
        if (RedisCluster.RELAY_SERVICE.equals(request.service())) {
            return openRelay(loop);
        }
        int port = parsePort(request.servicePort());
        if (port < 0 || !local.serves(port, request.name())) {
            String message = "no device at node " + config.nodeId() + " serves " + (request.name().isEmpty()
                    ? request.service() + " port " + request.servicePort() : request.name()) + " (cluster 4.3)";
            throw new IllegalStateException(message, new StreamException(StreamErrors.NO_TARGET, message));
        }
        ChannelFuture dialed = new Bootstrap().group(loop).channel(Transport.socketChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(bridge.localAddress());
        int target = port;
        dialed.addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                meet(((InetSocketAddress) f.channel().localAddress()).getPort(), new Pending(request, target));
            }
        });
        return dialed;
    }

    /**
     * A rendezvous peer carried here (cluster 8.3): its stream goes to this node's own device port on loopback,
     * whose rendezvous serves it as any peer that connects there. Over TLS when the device port speaks it: the
     * node's own listener, so no certificate is checked.
     */
    private ChannelFuture openRelay(EventLoop loop) {
        InetSocketAddress device = local.deviceAddress();
        InetSocketAddress to = device.getAddress().isAnyLocalAddress()
                ? new InetSocketAddress(InetAddress.getLoopbackAddress(), device.getPort()) : device;
        return new Bootstrap().group(loop).channel(Transport.socketChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (ownTls != null) {
                            ch.pipeline().addLast(ownTls.newHandler(ch.alloc(), to.getHostString(), to.getPort()));
                        }
                    }
                })
                .connect(to);
    }

    private void meet(int port, Object half) {
        Object other = meeting.putIfAbsent(port, half);
        if (other == null) {
            return;
        }
        meeting.remove(port, other);
        Pending pending = (Pending) (half instanceof Pending ? half : other);
        Channel accepted = (Channel) (half instanceof Channel ? half : other);
        StreamRequest r = pending.request;
        if (!local.openLocal(accepted, r.client(), r.service(), pending.port, r.name())) {
            logger.info("{}: no device at node {} serves it any more", r, config.nodeId());
            accepted.close(); // the node tunnel's stream sees its socket close
        }
    }

    void close() {
        bridge.close().syncUninterruptibly();
    }

    private static int parsePort(String text) {
        try {
            int port = Integer.parseInt(text);
            return port > 0 && port <= 65535 ? port : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private record Pending(StreamRequest request, int port) {
    }

    /** Becomes the holder's end of the node tunnel once the handshake is done. */
    private final class Installer extends ChannelInboundHandlerAdapter {
        private final String node;

        Installer(String node) {
            this.node = node;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                TunnelPipeline.install(ctx.pipeline(), WebSocketFrameCodec.SERVER,
                        TunnelHandler.device(NodeTunnels.LIMITS, NodeTunnelEndpoint.this), new NodeControl(),
                        NodeTunnels.PING_INTERVAL, NodeTunnels.PING_TIMEOUT);
                ctx.pipeline().remove(this);
                logger.info("node tunnel from {} at {} open", node, ctx.channel().remoteAddress());
                ctx.channel().closeFuture().addListener(f -> logger.info("node tunnel from {} closed", node));
            }
            ctx.fireUserEventTriggered(evt);
        }
    }
}
