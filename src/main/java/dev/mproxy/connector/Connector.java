package dev.mproxy.connector;

import com.auth0.jwt.JWT;
import com.auth0.jwt.exceptions.JWTDecodeException;
import com.auth0.jwt.interfaces.DecodedJWT;
import dev.mproxy.config.GatewayUris;
import dev.mproxy.tls.TlsFailures;
import dev.mproxy.transport.Transport;
import dev.mproxy.tunnel.Grant;
import dev.mproxy.tunnel.TunnelHandler;
import dev.mproxy.tunnel.TunnelPipeline;
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
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The device side: keeps one WebSocket to the gateway, authenticated with the device token, and opens each
 * stream the gateway sends to its local service. When the WebSocket drops or cannot be opened it tries again
 * after {@link Backoff}'s delay, re-authenticating and re-claiming its ports each time. The token goes as
 * {@code Authorization: Basic} at the upgrade and in-band after {@code hello} (control 1.3, 2.3): the two ways
 * both this project's gateway and telebit's relay read it.
 */
public final class Connector implements AutoCloseable {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(Connector.class);

    private final ConnectorConfig config;
    private final Consumer<Grant> onGrant;
    private final EventLoopGroup group = Transport.newGroup();
    private final Backoff backoff;
    private final LocalTargets targets;
    /** Names this device in recordings: the token's subject, read without checking (the gateway checks it). */
    private final String device;
    private volatile boolean closed;
    private volatile Channel channel;
    /** The token presented; from {@link ConnectorConfig#tokenFile()} again before each reconnect, if set. */
    private volatile String token;
    /** Which of the config's gateways is dialed next; the next one each time a tunnel closes or fails (cluster 7.1). */
    private int turn;

    /** {@code onGrant} sees each {@code grant} the gateway sends: the connector is then serving. */
    public Connector(ConnectorConfig config, Consumer<Grant> onGrant) {
        this.config = config;
        this.onGrant = onGrant;
        this.backoff = new Backoff(config.maxBackoff());
        this.targets = new LocalTargets(config.mappings(), 10_000);
        this.device = deviceOf(config.token());
        this.token = config.token();
    }

    /** Starts dialing; returns at once. */
    public Connector start() {
        connect();
        return this;
    }

    private void connect() {
        if (closed) {
            return;
        }
        List<URI> gateways = config.gateways();
        URI gateway = gateways.get(Math.floorMod(turn, gateways.size()));
        String host = gateway.getHost();
        int port = gateway.getPort() > 0 ? gateway.getPort() : GatewayUris.isSecure(gateway) ? 443 : 80;
        DefaultHttpHeaders headers = new DefaultHttpHeaders();
        headers.set(HttpHeaderNames.AUTHORIZATION, basic(token));
        WebSocketClientProtocolConfig ws = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(gateway)
                .version(WebSocketVersion.V13)
                .customHeaders(headers)
                .maxFramePayloadLength(TunnelPipeline.MAX_FRAME_PAYLOAD)
                .handshakeTimeoutMillis(10_000)
                .build();
        new Bootstrap().group(group).channel(Transport.socketChannel())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (config.tls() != null) {
                            p.addLast(TunnelPipeline.TLS, config.tls().newHandler(ch.alloc(), host, port));
                        }
                        p.addLast(new HttpClientCodec(), new HttpObjectAggregator(64 * 1024),
                                new WebSocketClientProtocolHandler(ws), new TunnelInstaller(gateway));
                    }
                })
                .connect(host, port)
                .addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        logger.warn("cannot reach gateway {}: {}", gateway, TlsFailures.describe(f.cause()));
                        reconnectLater();
                        return;
                    }
                    channel = f.channel();
                    f.channel().closeFuture().addListener(c -> reconnectLater());
                });
    }

    private void reconnectLater() {
        if (closed) {
            return;
        }
        long delay = backoff.nextDelayMillis();
        List<URI> gateways = config.gateways();
        turn = Math.floorMod(turn + 1, gateways.size()); // the next node of the cluster, or the same gateway again
        logger.info("reconnecting to {} in {} ms", gateways.get(turn), delay);
        group.schedule(config.tokenFile() == null ? this::connect : this::rereadTokenThenConnect, delay,
                TimeUnit.MILLISECONDS);
    }

    /**
     * Limits 4.3: a gateway closes a tunnel whose token expired; the token file may hold a renewed one by now.
     * Read off the event loop; an unreadable file keeps the token we have.
     */
    private void rereadTokenThenConnect() {
        ForkJoinPool.commonPool().execute(() -> {
            try {
                String fresh = Files.readString(config.tokenFile(), StandardCharsets.UTF_8).trim();
                if (!fresh.isEmpty() && !fresh.equals(token)) {
                    logger.info("using the token now in {}", config.tokenFile());
                    token = fresh;
                }
            } catch (IOException e) {
                logger.warn("cannot read {} ({}); reconnecting with the token read before", config.tokenFile(),
                        e.getMessage());
            }
            group.execute(this::connect);
        });
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Channel ch = channel;
        if (ch != null) {
            ch.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (config.recorder() != null) {
            config.recorder().close(); // after the tunnel: its streams' recordings are finished by now
        }
    }

    /**
     * {@code Authorization: Basic} with the token as the password: telebit's relay reads only this header (or
     * {@code ?access_token=}, which proxies log), and this project's gateway reads it as well as Bearer.
     */
    static String basic(String token) {
        return "Basic " + Base64.getEncoder().encodeToString(("device:" + token).getBytes(StandardCharsets.UTF_8));
    }

    /** The device id {@code token} claims ({@code sub}, else telebit's {@code id}), read without checking. */
    public static String deviceOf(String token) {
        try {
            DecodedJWT jwt = JWT.decode(token);
            String subject = jwt.getSubject() != null ? jwt.getSubject() : jwt.getClaim("id").asString();
            return subject == null ? "device" : subject;
        } catch (JWTDecodeException e) {
            return "device";
        }
    }


    /** Becomes a tunnel once the handshake is done; reports a refused handshake with the gateway's reason. */
    private final class TunnelInstaller extends ChannelInboundHandlerAdapter {
        private final URI gateway;

        TunnelInstaller(URI gateway) {
            this.gateway = gateway;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                TunnelHandler tunnel = TunnelHandler.device(config.limits(), targets);
                if (config.recorder() != null) {
                    tunnel.record(config.recorder(), device);
                }
                TunnelPipeline.install(ctx.pipeline(), tunnel,
                        new DeviceControl(token, gateway.toString(), grant -> {
                            backoff.reset();
                            onGrant.accept(grant);
                        }), config.pingInterval(), config.pingTimeout());
                ctx.pipeline().remove(this);
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof WebSocketClientHandshakeException) {
                logger.warn("gateway {} refused the tunnel: {}", gateway, cause.getMessage());
            } else {
                logger.warn("tunnel to {} failed: {}", gateway, TlsFailures.describe(cause));
            }
            ctx.close();
        }
    }
}
